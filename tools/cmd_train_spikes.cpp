// neurodl train-spikes --data GROUNDTRUTH_DIR [--fs HZ] [--noise N] [--exclude DSxx,...] -o MODEL:
// trains one supervised spike-inference model (nets/spike_net.hpp) at one frame rate and noise
// level. scripts/train-spike-models.sh runs it for every model shipped in models/spikes.

#include <cstdio>
#include <filesystem>

#include "commands.hpp"
#include "neurodl/core/error.hpp"
#ifdef NEURODL_HAVE_NETS
#include "neurodl/nets/spike_net.hpp"
#endif

namespace neurodl::cli {

#ifdef NEURODL_HAVE_NETS
Command add_train_spikes(CLI::App& app, Common& common) {
  struct Args {
    std::string data, output, json;
    std::vector<std::string> exclude;
    nets::SpikeNetOptions options;
  };
  auto args = std::make_shared<Args>();
  auto* sub = app.add_subcommand(
      "train-spikes", "train a deep spike-inference model on ground truth at one frame rate and noise level");
  sub->add_option("--data", args->data,
                  "ground-truth folder: DSxx-*/ sub-folders of CAttached .mat files")
      ->required();
  sub->add_option("--exclude", args->exclude, "datasets left out of training, e.g. DS01,DS12")
      ->delimiter(',');
  auto specs = nets::option_specs(args->options);
  add_option_specs(sub, specs);
  sub->add_option("-o,--output", args->output, "model file to write (.h5)")->required();
  sub->add_option("--json", args->json, "also write the model's metadata and training summary");
  add_common_flags(sub, common);
  return {sub, [args, specs, &common] {
            namespace fs = std::filesystem;
            const fs::path out(args->output);
            const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
            check(fs::is_directory(dir), ErrorKind::io,
                  {.component = "train-spikes", .what = "output folder does not exist",
                   .file = args->output, .field = "-o"});
            // The command that reproduces the model: data, exclusions and every option that
            // differs from its default, in table order.
            std::string command = "neurodl train-spikes --data " + args->data;
            if (!args->exclude.empty()) {
              command += " --exclude ";
              for (std::size_t i = 0; i < args->exclude.size(); ++i)
                command += (i ? "," : "") + args->exclude[i];
            }
            nets::SpikeNetOptions defaults;
            const auto now = option_values(specs), def = option_values(nets::option_specs(defaults));
            for (const auto& s : specs)
              if (now[s.name] != def[s.name]) {
                const auto& v = now[s.name];
                command += " " + flag_of(s) + (v.is_boolean() ? "=" : " ") +
                           (v.is_string() ? v.get<std::string>() : v.dump());
              }
            command += " -o " + out.filename().string();
            const auto traces = nets::read_ground_truth(args->data, args->exclude);
            const auto model = nets::SpikeNet::train(traces, args->options, command);
            model.save(out);
            const auto st = model.state();
            if (!args->json.empty()) {
              nlohmann::json j = st.params;
              j.erase("shapes");
              j["output_file"] = args->output;
              j["compute"] = model.cost().to_json();
              write_json(args->json, j);
            }
            if (!common.quiet) {
              const auto& t = model.training();
              std::printf("%s: %g Hz, noise %g, %lld traces (%lld noisier skipped), %lld epochs, "
                          "best validation MSE %.4g, %.0f s\n",
                          args->output.c_str(), model.info().sample_rate_hz, model.info().noise_level,
                          static_cast<long long>(t["traces_used"].get<std::int64_t>()),
                          static_cast<long long>(t["traces_skipped_noisier"].get<std::int64_t>()),
                          static_cast<long long>(t["epochs_run"].get<std::int64_t>()),
                          t["val_loss"].empty() ? 0.0
                              : t["val_loss"][t["best_epoch"].get<std::size_t>()].get<double>(),
                          t["seconds"].get<double>());
            }
            return 0;
          }};
}
#else
Command add_train_spikes(CLI::App& app, Common& common) {
  auto* sub = app.add_subcommand("train-spikes", "train a deep spike-inference model (needs LibTorch)");
  sub->allow_extras();
  add_common_flags(sub, common);
  return {sub, [] {
            raise(ErrorKind::config, {.component = "train-spikes",
                                      .what = "this neurodl was built without LibTorch",
                                      .expected = "a build with neurodl::nets"});
            return 2;
          }};
}
#endif

}  // namespace neurodl::cli
