// neurodl predict MODEL --x X -o YHAT.npy: apply a fitted model to new features.

#include <cstdio>

#include "commands.hpp"
#include "models.hpp"
#include "neurodl/io/model_file.hpp"
#include "neurodl/io/npy.hpp"
#include "neurodl/io/select.hpp"

namespace neurodl::cli {

Command add_predict(CLI::App& app, Common& common) {
  struct Args {
    std::string model, x, x2, output;
    io::ReadOptions read;
  };
  auto args = std::make_shared<Args>();
  auto* sub = app.add_subcommand("predict", "predict targets from features with a fitted model");
  sub->add_option("model", args->model, "model file written by `neurodl fit`")->required();
  sub->add_option("--x", args->x, "features X: FILE.npy or FILE:PART, as for fit")->required();
  sub->add_option("--x2", args->x2, "second input appended to X, as for fit (joint: the behaviour)");
  sub->add_option("-o,--output", args->output, "predictions Y-hat as .npy (time × targets, float32)")
      ->required();
  add_option_specs(sub, io::option_specs(args->read));
  add_common_flags(sub, common);
  return {sub, [args, &common] {
            const ModelState state = io::read_model(args->model);
            auto model = make_model(state.model);
            model->load_state(state);
            auto x = io::select_matrix(args->x, args->read);
            if (!args->x2.empty()) {
              const auto x2 = io::select_matrix(args->x2, args->read);
              io::check_paired(x, x2);
              x.data.conservativeResize(Eigen::NoChange, x.data.cols() + x2.data.cols());
              x.data.rightCols(x2.data.cols()) = x2.data;
            }
            const MatrixF yhat = model->predict(x.data);
            io::write_npy(args->output, yhat);
            if (!common.quiet)
              std::printf("%s: %lld × %lld predictions written to %s\n", state.model.c_str(),
                          static_cast<long long>(yhat.rows()), static_cast<long long>(yhat.cols()),
                          args->output.c_str());
            return 0;
          }};
}

}  // namespace neurodl::cli
