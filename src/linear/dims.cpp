#include "neurodl/linear/dims.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "neurodl/core/error.hpp"
#include "neurodl/linear/cvpca.hpp"
#include "neurodl/linear/pca.hpp"
#include "neurodl/linear/peer.hpp"
#include "neurodl/linear/svca.hpp"

namespace neurodl::linear {
namespace {

// A DimsRun holding an options struct `O`; `specs` builds its table, `run` calls the method.
template <class O>
class Run : public DimsRun {
 public:
  using SpecsFn = std::vector<OptionSpec> (*)(O&);
  using RunFn = nlohmann::json (*)(const Recording&, const O&);
  Run(SpecsFn specs, RunFn run) : specs_(specs), run_(run) {}
  std::vector<OptionSpec> option_specs() override { return specs_(options_); }
  nlohmann::json run(const Recording& rec) override { return run_(rec, options_); }

 private:
  O options_;
  SpecsFn specs_;
  RunFn run_;
};

template <class O>
std::function<std::unique_ptr<DimsRun>()> factory(typename Run<O>::SpecsFn specs,
                                                  typename Run<O>::RunFn run) {
  return [specs, run] { return std::make_unique<Run<O>>(specs, run); };
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// "a, b, c" of the first `count` values of a JSON list, each printed with `format` after `scale`.
std::string first_values(const nlohmann::json& list, size_t count, const char* format, double scale = 1) {
  std::string out;
  for (size_t i = 0; i < list.size() && i < count; ++i)
    out += (i ? ", " : "") + (list[i].is_null() ? std::string("n/a") : fmt(format, scale * list[i].get<double>()));
  return out;
}

std::string number_text(const nlohmann::json& v, const char* format) {
  return v.is_null() ? std::string("n/a") : fmt(format, v.get<double>());
}

// PCA without the T × k scores, which a summary does not hold.
std::vector<OptionSpec> pca_specs(PcaOptions& o) {
  auto specs = option_specs(o);
  std::erase_if(specs, [](const OptionSpec& s) { return s.name == "scores"; });
  return specs;
}

nlohmann::json run_pca(const Recording& rec, const PcaOptions& o) { return to_json(pca(rec.activity, o)); }
nlohmann::json run_cvpca(const Recording& rec, const CvpcaOptions& o) { return to_json(cvpca(rec, o)); }
nlohmann::json run_svca(const Recording& rec, const SvcaOptions& o) { return to_json(svca(rec, o)); }
nlohmann::json run_peer(const Recording& rec, const PeerOptions& o) {
  auto j = to_json(peer_prediction(rec, o));
  j["radius_um"] = o.radius_um;
  return j;
}
nlohmann::json run_areas(const Recording& rec, const AreaOptions& o) {
  auto j = to_json(area_prediction(rec, o));
  j["from_area"] = o.from_area;
  j["to_area"] = o.to_area;
  return j;
}

std::string describe_pca(const nlohmann::json& r) {
  const auto& ratio = r["explained_variance_ratio"];
  double cumulative = 0;
  for (const auto& v : ratio) cumulative += v.get<double>();
  return "PCA (" + r["solver"].get<std::string>() + "), " + std::to_string(r["n_components"].get<int>()) +
         " components: variance explained by PC1.. " + first_values(ratio, 5, "%.1f%%", 100) +
         "; all " + std::to_string(ratio.size()) + " together " + fmt("%.1f%%", 100 * cumulative) +
         " of total variance " + fmt("%.4g", r["total_variance"].get<double>()) + "\n";
}

std::string describe_cvpca(const nlohmann::json& r) {
  return "cvPCA of " + std::to_string(r["n_stimuli"].get<int>()) + " stimuli × " +
         std::to_string(r["n_units"].get<int>()) + " units: power-law exponent alpha = " +
         number_text(r["alpha"], "%.3f") + " (ranks " + std::to_string(r["fit_rank_min"].get<int>()) +
         ".." + std::to_string(r["fit_rank_max"].get<int>()) + ", " +
         std::to_string(r["fit_n_ranks"].get<int>()) + " with positive variance)\n" +
         "  cross-validated variance of PC1..: " + first_values(r["spectrum"], 5, "%.4g") + "\n";
}

std::string describe_svca(const nlohmann::json& r) {
  return "SVCA of " + std::to_string(r["n_units_a"].get<int>()) + " vs " +
         std::to_string(r["n_units_b"].get<int>()) + " units (" + std::to_string(r["n_train"].get<int>()) +
         " training, " + std::to_string(r["n_test"].get<int>()) + " test samples): " +
         std::to_string(r["n_reliable"].get<int>()) + " of " + std::to_string(r["n_components"].get<int>()) +
         " leading components reliable\n  reliable variance fraction of SVC1..: " +
         first_values(r["reliable_fraction"], 8, "%.1f%%", 100) + "\n";
}

std::string describe_peer(const nlohmann::json& r) {
  const auto rank = r["rank"].get<int>();
  return "peer prediction of " + std::to_string(r["n_units"].get<int>()) + " units from " +
         std::to_string(r["n_components"].get<int>()) + " population PCs" +
         (rank > 0 ? " through rank " + std::to_string(rank) : std::string()) + " (neighbours within " +
         fmt("%g", r["radius_um"].get<double>()) + " µm excluded): mean cross-validated R² = " +
         number_text(r["r2_mean"], "%.3f") + "\n";
}

std::string describe_areas(const nlohmann::json& r) {
  std::string curve;
  const auto& ranks = r["ranks"];
  for (size_t i = 0; i < ranks.size() && i < 8; ++i)
    curve += (i ? ", " : "") + std::to_string(ranks[i].get<int>()) + ": " + fmt("%.3f", r["r2_mean"][i].get<double>());
  return r["from_area"].get<std::string>() + " → " + r["to_area"].get<std::string>() +
         ": predictive dimensionality " + std::to_string(r["predictive_dimensionality"].get<int>()) +
         " (best rank " + std::to_string(r["best_rank"].get<int>()) + ", full-rank ridge R² " +
         fmt("%.3f", r["ridge_r2_mean"].get<double>()) + ")\n  R² by rank: " + curve + "\n";
}

}  // namespace

const std::map<std::string, DimsMethod>& dims_methods() {
  static const std::map<std::string, DimsMethod> kMethods = {
      {"pca", {"principal components: variance explained per component (exact or randomized)",
               factory<PcaOptions>(pca_specs, run_pca), describe_pca}},
      {"cvpca", {"cross-validated PCA of two stimulus repeats: signal eigenspectrum, power-law alpha",
                 factory<CvpcaOptions>(option_specs, run_cvpca), describe_cvpca}},
      {"svca", {"shared variance components of two spatially separated unit sets on held-out time",
                factory<SvcaOptions>(option_specs, run_svca), describe_svca}},
      {"peer", {"each unit predicted from the population beyond --radius-um: R² per unit",
                factory<PeerOptions>(option_specs, run_peer), describe_peer}},
      {"areas", {"area --to predicted from area --from by reduced-rank regression: R² per rank",
                 factory<AreaOptions>(option_specs, run_areas), describe_areas}},
  };
  return kMethods;
}

const DimsMethod& dims_method(const std::string& name) {
  const auto& methods = dims_methods();
  const auto it = methods.find(name);
  if (it == methods.end()) {
    std::string names;
    for (const auto& [n, m] : methods) names += (names.empty() ? "" : ", ") + n;
    raise(ErrorKind::config,
          {.component = "linear.dims", .what = "unknown method", .expected = names, .got = name});
  }
  return it->second;
}

nlohmann::json run_dims(const std::string& name, const Recording& rec, const nlohmann::json& options) {
  const DimsMethod& method = dims_method(name);
  auto run = method.make();
  const auto specs = run->option_specs();
  apply_options(specs, options, "linear.dims." + name);
  nlohmann::json j{{"method", name},
                   {"recording", rec.name},
                   {"n_samples", rec.n_samples()},
                   {"n_units", rec.n_units()},
                   {"options", option_values(specs)}};
  j["result"] = run->run(rec);
  return j;
}

std::string describe_dims(const nlohmann::json& result) {
  return dims_method(result.at("method").get<std::string>()).describe(result.at("result"));
}

}  // namespace neurodl::linear
