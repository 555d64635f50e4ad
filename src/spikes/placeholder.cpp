// The spikes layer starts empty; deconvolution lands in its own files.
namespace neurodl::spikes {}
