#pragma once
// Private to neurodl::nets: a torch module's weights in a ModelState (the model file's arrays)
// and back, shared by every network that saves itself through the neurodl::Model interface.

#include <string>

#include <torch/torch.h>

#include "neurodl/core/model.hpp"

namespace neurodl::nets::detail {

/// Stores every parameter and buffer of `net` as a float64 array "param.NAME" / "buffer.NAME"
/// (flattened to size(0) × rest; scalars and vectors as one row) in st.arrays, and each true
/// shape in st.params["shapes"]. The tensors may live on any device.
void save_module_tensors(torch::nn::Module& net, ModelState& st);

/// Copies the arrays written by save_module_tensors into `net`'s parameters and buffers (a
/// module of the same architecture). IoError naming the missing array; ShapeError naming the
/// array whose size differs. `component` names the caller in errors.
void load_module_tensors(torch::nn::Module& net, const ModelState& st, const std::string& component);

}  // namespace neurodl::nets::detail
