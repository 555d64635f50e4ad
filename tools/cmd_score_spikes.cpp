// neurodl score-spikes --truth T --pred P --fs HZ --json S: the Spikefinder metric (Pearson r on
// 40 ms bins) with error and bias, per unit and averaged (docs/spikes.md, "Scoring").

#include <cmath>
#include <cstdio>

#include "commands.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/eval/spikefinder.hpp"
#include "neurodl/io/registry.hpp"
#include "neurodl/spikes/registry.hpp"

namespace neurodl::cli {

Command add_score_spikes(CLI::App& app, Common& common) {
  struct Args {
    std::string truth, pred, json;
    io::ReadOptions read;
  };
  auto args = std::make_shared<Args>();
  auto* sub = app.add_subcommand(
      "score-spikes", "Spikefinder correlation (40 ms bins), error and bias of inferred spikes");
  sub->add_option("--truth", args->truth,
                  "true spike counts per frame: .npy or any readable file (a recording's "
                  "truth spike_counts is used where present, e.g. *.spikes.csv, ground-truth .mat)")
      ->required();
  sub->add_option("--pred", args->pred, "predicted spikes per frame, e.g. from `neurodl deconvolve`")
      ->required();
  add_option_specs(sub, io::option_specs(args->read));
  sub->add_option("--json", args->json, "write per-unit and mean scores as JSON here")->required();
  add_common_flags(sub, common);
  return {sub, [args, &common] {
            const auto truth_recs = io::read_recordings(args->truth, args->read);
            const double rate = frame_rate(args->read.sample_rate_hz, truth_recs, args->truth, "score-spikes");
            const auto truth = spikes::stack_columns(truth_recs, "spike_counts");
            const auto pred = spikes::stack_columns(io::read_recordings(args->pred, args->read));
            MatrixF t = truth.values, p = pred.values;
            // A truth stacked from recordings of unequal length is padded; the prediction may
            // be a plain .npy of the same padded shape.
            const auto score = eval::spikefinder_score(t, p, rate);
            nlohmann::json j{{"truth", args->truth},
                             {"pred", args->pred},
                             {"sample_rate_hz", rate},
                             {"bin_rate_hz", eval::kSpikefinderBinRateHz},
                             {"mean_correlation", number_or_null(score.mean_correlation)}};
            double me = 0, mb = 0;
            int ne = 0, nb = 0;
            j["units"] = nlohmann::json::array();
            for (Eigen::Index k = 0; k < score.correlation.size(); ++k) {
              j["units"].push_back({{"column", k},
                                    {"label", truth.labels[k]},
                                    {"correlation", number_or_null(score.correlation[k])},
                                    {"error", number_or_null(score.error[k])},
                                    {"bias", number_or_null(score.bias[k])},
                                    {"n_bins", score.n_bins[k]}});
              if (std::isfinite(score.error[k])) me += score.error[k], ++ne;
              if (std::isfinite(score.bias[k])) mb += score.bias[k], ++nb;
            }
            j["mean_error"] = ne ? number_or_null(me / ne) : nlohmann::json();
            j["mean_bias"] = nb ? number_or_null(mb / nb) : nlohmann::json();
            write_json(args->json, j);
            if (!common.quiet)
              std::printf("%zu units: mean correlation %.4f, mean error %.3f, mean bias %+.3f\n",
                          static_cast<std::size_t>(score.correlation.size()),
                          score.mean_correlation, ne ? me / ne : NAN, nb ? mb / nb : NAN);
            return 0;
          }};
}

}  // namespace neurodl::cli
