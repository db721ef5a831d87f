// lineage_bench: depth-10 upstream lineage walks in a store of 1M versions and 3M
// edges (the design's target: a walk in at most 5 ms).
//
// The graph is a pipeline of artifacts in four layers, every artifact with the same
// number of versions, created in time steps (version k of every artifact at step k):
//
//   dataset/raw-*  ->  featureview/fv-*  ->  dataset/train-*  ->  model/m-*
//
// raw@k is derived from raw@k-1 (a new snapshot of the same source). Every other
// version takes its inputs from a fixed set of six upstream artifacts (a pipeline
// reads the same sources each time), at version k, k-1 or k-2; models may also take
// their own previous version (warm start). The remaining edge budget is spread evenly
// over the non-raw versions, about 3.7 inputs each for the defaults.
//
// The store is built once with large WriteBatches holding exactly the records
// ArtifactStore::Commit writes (versions, artifact heads, edges in both directions),
// flushed and compacted, and cached under --store for later runs.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/splitmix64.h"
#include "rocksdb/utilities/transaction_db.h"
#include "store/internal/db.h"
#include "store/internal/keys.h"
#include "store/io.h"
#include "store/lineage.h"
#include "store/status_macros.h"
#include "store/store.h"
#include "store/store.pb.h"

namespace strata::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using internal::Cf;
using internal::EdgeDirection;

struct Params {
  uint64_t versions = 1'000'000;
  uint64_t edges = 3'000'000;
  uint64_t versions_per_artifact = 100;
  uint64_t seed = 0x4c494e4541474531;  // "LINEAGE1"

  // Bump when the graph's shape changes, so cached stores are rebuilt.
  std::string Describe() const {
    return absl::StrCat("shape=3 versions=", versions, " edges=", edges,
                        " versions_per_artifact=", versions_per_artifact, " seed=", seed);
  }
};

uint64_t Hash(uint64_t seed, uint64_t a, uint64_t b = 0) {
  uint64_t state = seed ^ (a * 0xd1b54a32d192ed03) ^ (b * 0x8cb92ba72f3d8dd7);
  return SplitMix64(&state);
}

// The four layers, upstream first, with their share of the artifacts.
struct Layer {
  const char* kind;
  const char* prefix;
  int percent;
};
constexpr Layer kLayers[] = {{"dataset", "raw", 25},
                             {"featureview", "fv", 35},
                             {"dataset", "train", 25},
                             {"model", "m", 15}};
constexpr int kNumLayers = 4;
// Artifacts each pipeline reads from; every layer needs at least this many.
constexpr uint64_t kUpstreamPerArtifact = 6;

// The synthetic graph: which artifacts exist, and each version's inputs. Pure
// functions of Params, so the walk phase can pick roots without reading the store.
class Graph {
 public:
  explicit Graph(const Params& p) : p_(p) {
    const uint64_t artifacts = p.versions / p.versions_per_artifact;
    uint64_t start = 0;
    for (int l = 0; l < kNumLayers; ++l) {
      const uint64_t n =
          l + 1 == kNumLayers ? artifacts - start : artifacts * kLayers[l].percent / 100;
      layer_start_[l] = start;
      layer_size_[l] = n;
      start += n;
    }
    artifacts_ = artifacts;
    const uint64_t raw_edges = layer_size_[0] * (p.versions_per_artifact - 1);
    non_raw_versions_ = (artifacts - layer_size_[0]) * p.versions_per_artifact;
    spread_edges_ = p.edges > raw_edges ? p.edges - raw_edges : 0;
  }

  uint64_t artifacts() const { return artifacts_; }
  uint64_t versions_per_artifact() const { return p_.versions_per_artifact; }
  uint64_t layer_start(int l) const { return layer_start_[l]; }
  uint64_t layer_size(int l) const { return layer_size_[l]; }

  int LayerOf(uint64_t artifact) const {
    int l = 0;
    while (l + 1 < kNumLayers && artifact >= layer_start_[l + 1]) ++l;
    return l;
  }
  const char* Kind(uint64_t artifact) const { return kLayers[LayerOf(artifact)].kind; }
  std::string Name(uint64_t artifact) const {
    const int l = LayerOf(artifact);
    return absl::StrFormat("%s-%05d", kLayers[l].prefix, artifact - layer_start_[l]);
  }
  std::string Node(uint64_t artifact, uint64_t version) const {
    return internal::VersionNode(Kind(artifact), Name(artifact), version);
  }

  // The inputs of `artifact`@`version`, as (artifact, version) pairs.
  std::vector<std::pair<uint64_t, uint64_t>> Inputs(uint64_t artifact,
                                                    uint64_t version) const {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    const int layer = LayerOf(artifact);
    if (layer == 0) {
      if (version > 1) out.emplace_back(artifact, version - 1);
      return out;
    }
    // The j-th non-raw version gets floor((j+1)R/n) - floor(jR/n) inputs: R in all.
    const uint64_t j =
        (artifact - layer_start_[1]) * p_.versions_per_artifact + version - 1;
    const auto share = [&](uint64_t i) {
      return static_cast<uint64_t>((static_cast<unsigned __int128>(i) * spread_edges_) /
                                   non_raw_versions_);
    };
    const uint64_t want = share(j + 1) - share(j);
    std::vector<uint64_t> candidates = Upstream(artifact);
    if (version == 1) std::erase(candidates, artifact);
    // A deterministic shuffle, then the first `want`.
    for (size_t i = candidates.size(); i > 1; --i) {
      std::swap(candidates[i - 1], candidates[Hash(p_.seed ^ i, artifact, version) % i]);
    }
    candidates.resize(std::min<size_t>(candidates.size(), want));
    for (uint64_t u : candidates) {
      const uint64_t back = u == artifact ? 1 : Hash(p_.seed ^ u, artifact, version) % 3;
      out.emplace_back(u, version > back ? version - back : 1);
    }
    return out;
  }

 private:
  // The six artifacts `artifact`'s pipeline reads from (layer > 0).
  std::vector<uint64_t> Upstream(uint64_t artifact) const {
    const int layer = LayerOf(artifact);
    // (layer, count) to draw from: fv read raw; train reads fv and a raw label set;
    // models read training sets, one feature view, and their own previous version.
    std::vector<std::pair<int, int>> draws;
    if (layer == 1) draws = {{0, 6}};
    if (layer == 2) draws = {{1, 5}, {0, 1}};
    if (layer == 3) draws = {{2, 4}, {1, 1}};
    std::vector<uint64_t> out;
    uint64_t state = Hash(p_.seed, artifact, 0x75707374);  // "upst"
    for (auto [from, count] : draws) {
      for (int i = 0; i < count; ++i) {
        uint64_t u;
        do {
          u = layer_start_[from] + SplitMix64(&state) % layer_size_[from];
        } while (std::find(out.begin(), out.end(), u) != out.end());
        out.push_back(u);
      }
    }
    if (layer == 3) out.push_back(artifact);
    return out;
  }

  Params p_;
  uint64_t artifacts_ = 0;
  uint64_t layer_start_[kNumLayers] = {};
  uint64_t layer_size_[kNumLayers] = {};
  uint64_t non_raw_versions_ = 0;
  uint64_t spread_edges_ = 0;
};

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

uint64_t DirBytes(const fs::path& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

// Stores one small content through the public API, so every version's content_id
// names a real manifest, as Commit demands.
absl::StatusOr<Digest> PutContent(const std::string& dir) {
  StoreOptions options;
  options.create_if_missing = true;
  options.sync = false;
  ASSIGN_OR_RETURN(auto store, Store::Open(dir, options));
  auto source = StringSource("id,label\n1,0\n");
  ASSIGN_OR_RETURN(PutStats stats, store->content().Put(*source));
  return stats.content_id;
}

// Writes the graph into the store at `dir` with the records and keys of
// ArtifactStore::Commit (store/artifacts.cc, store/internal/records.cc): the Version
// record, one ArtifactHead per artifact, and an Edge under "d" and "u" per input.
absl::Status Build(const Graph& graph, const std::string& dir, uint64_t* edges_written) {
  ASSIGN_OR_RETURN(Digest content, PutContent(dir));
  ASSIGN_OR_RETURN(auto db, internal::Db::Open(dir, {.create_if_missing = false,
                                                     .sync_commits = false}));
  constexpr int64_t kEpochUs = 1'700'000'000'000'000;
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // flushed below; a crash mid-build just means a rebuild
  rocksdb::TransactionDBWriteOptimizations unlocked;
  unlocked.skip_concurrency_control = true;
  unlocked.skip_duplicate_key_check = true;
  rocksdb::WriteBatch batch;
  const auto write = [&]() -> absl::Status {
    rocksdb::Status s = db->raw()->Write(wo, unlocked, &batch);
    batch.Clear();
    return s.ok() ? absl::OkStatus() : absl::InternalError(s.ToString());
  };

  const uint64_t per = graph.versions_per_artifact();
  *edges_written = 0;
  for (uint64_t k = 1; k <= per; ++k) {  // time steps: version k of every artifact
    for (uint64_t a = 0; a < graph.artifacts(); ++a) {
      const int64_t now =
          kEpochUs + static_cast<int64_t>((k * graph.artifacts() + a) * 1'000'000);
      const std::string key = internal::ArtifactKey(graph.Kind(a), graph.Name(a));
      const std::string node = graph.Node(a, k);
      store::Version v;
      v.set_kind(graph.Kind(a));
      v.set_name(graph.Name(a));
      v.set_number(k);
      v.set_content_id(std::string(content.Raw()));
      v.set_size(13);
      v.set_message(absl::StrCat("step ", k));
      v.set_creator("bench");
      v.set_created_us(now);
      std::vector<std::string> inputs;
      for (auto [u, uv] : graph.Inputs(a, k)) inputs.push_back(graph.Node(u, uv));
      std::sort(inputs.begin(), inputs.end());
      store::Edge edge;
      edge.set_kind(store::EDGE_KIND_DERIVED);
      edge.set_created_us(now);
      const std::string edge_value = edge.SerializeAsString();
      for (const std::string& in : inputs) {
        v.add_inputs(in);
        batch.Put(db->cf(Cf::kEdges), internal::EdgeKey(EdgeDirection::kDown, in, node),
                  edge_value);
        batch.Put(db->cf(Cf::kEdges), internal::EdgeKey(EdgeDirection::kUp, node, in),
                  edge_value);
      }
      *edges_written += inputs.size();
      batch.Put(db->cf(Cf::kVersions), internal::VersionKey(key, k),
                v.SerializeAsString());
      if (k == per) {
        store::ArtifactHead head;
        head.set_latest_version(per);
        head.set_created_us(kEpochUs +
                            static_cast<int64_t>((graph.artifacts() + a) * 1'000'000));
        head.set_updated_us(now);
        batch.Put(db->cf(Cf::kArtifacts), key, head.SerializeAsString());
      }
      if (batch.GetDataSize() >= (32u << 20)) RETURN_IF_ERROR(write());
    }
  }
  RETURN_IF_ERROR(write());
  // A real store has had its writes flushed and compacted: walks read SST files.
  rocksdb::FlushOptions flush;
  for (Cf cf : {Cf::kVersions, Cf::kArtifacts, Cf::kEdges}) {
    rocksdb::Status s = db->raw()->Flush(flush, db->cf(cf));
    if (s.ok())
      s = db->raw()->CompactRange(rocksdb::CompactRangeOptions(), db->cf(cf), nullptr,
                                  nullptr);
    if (!s.ok()) return absl::InternalError(s.ToString());
  }
  return absl::OkStatus();
}

struct Summary {
  double p50, p90, p99, mean, max;
};

Summary Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
  };
  double sum = 0;
  for (double x : v) sum += x;
  return {at(0.50), at(0.90), at(0.99), sum / v.size(), v.back()};
}

// How many walks a row times: `walks`, or fewer when `row_seconds` run out first.
struct WalkPlan {
  int walks = 2000;
  double row_seconds = 15;
};

// Times one Walk per root and prints a row: walk times, walks done, nodes and edges
// per walk. Returns the walk times.
absl::StatusOr<Summary> Measure(const Store& store, const std::vector<std::string>& roots,
                                const WalkPlan& plan, const std::string& label,
                                bool load_records) {
  LineageOptions options;
  options.direction = LineageDirection::kUp;
  options.max_depth = 10;
  options.load_records = load_records;
  std::vector<double> ms, nodes, edges;
  const auto row_start = Clock::now();
  for (const std::string& root : roots) {
    if (Seconds(row_start) > plan.row_seconds) break;
    const auto start = Clock::now();
    ASSIGN_OR_RETURN(LineageGraph g, store.lineage().Walk(root, options));
    ms.push_back(Seconds(start) * 1e3);
    nodes.push_back(static_cast<double>(g.nodes.size()));
    edges.push_back(static_cast<double>(g.edges.size()));
  }
  const Summary t = Summarize(ms), n = Summarize(nodes), e = Summarize(edges);
  std::printf(
      "  %-15s %-5s %5zu %8.3f %8.3f %8.3f %8.3f %8.3f   nodes p50 %4.0f mean %6.1f "
      "max %4.0f, edges mean %6.1f\n",
      label.c_str(), load_records ? "true" : "false", ms.size(), t.p50, t.p90, t.p99,
      t.mean, t.max, n.p50, n.mean, n.max, e.mean);
  return t;
}

// Builds the store under `cache`, or reuses the one built there with the same
// parameters. Returns the store's directory.
absl::StatusOr<fs::path> BuildOrReuse(const Params& params, const Graph& graph,
                                      const fs::path& cache) {
  const fs::path dir = cache / "store";
  const fs::path stamp = cache / "params";
  std::string cached;
  if (std::ifstream in(stamp); in) std::getline(in, cached);
  if (cached == params.Describe() && fs::exists(dir / "CURRENT")) {
    std::printf("  store: reusing %s (built earlier with the same parameters)\n",
                dir.c_str());
    return dir;
  }
  std::error_code ec;
  fs::remove_all(cache, ec);
  fs::create_directories(cache, ec);
  const auto start = Clock::now();
  uint64_t edges = 0;
  RETURN_IF_ERROR(Build(graph, dir.string(), &edges));
  std::ofstream(stamp) << params.Describe() << "\n";
  std::printf(
      "  store: built %s in %.1f s (write, flush, compact): %llu versions, %llu edges\n",
      dir.c_str(), Seconds(start), static_cast<unsigned long long>(params.versions),
      static_cast<unsigned long long>(edges));
  return dir;
}

absl::Status Run(const Params& params, const fs::path& cache, const WalkPlan& plan) {
  const Graph graph(params);
  for (int l = 0; l < kNumLayers; ++l) {
    if (graph.layer_size(l) < kUpstreamPerArtifact) {
      return absl::InvalidArgumentError(
          absl::StrCat("--versions ", params.versions, " is too small: each layer needs ",
                       kUpstreamPerArtifact, " artifacts of ",
                       params.versions_per_artifact, " versions"));
    }
  }
  std::printf("WORKLOAD\n");
  std::printf(
      "  graph: %llu artifacts x %llu versions; layers raw %llu, fv %llu, train %llu, "
      "model %llu artifacts\n",
      static_cast<unsigned long long>(graph.artifacts()),
      static_cast<unsigned long long>(params.versions_per_artifact),
      static_cast<unsigned long long>(graph.layer_size(0)),
      static_cast<unsigned long long>(graph.layer_size(1)),
      static_cast<unsigned long long>(graph.layer_size(2)),
      static_cast<unsigned long long>(graph.layer_size(3)));
  ASSIGN_OR_RETURN(const fs::path dir, BuildOrReuse(params, graph, cache));
  std::printf("  store size on disk: %.1f MB\n",
              static_cast<double>(DirBytes(dir)) / 1e6);
  std::printf(
      "  walks: upstream, max_depth 10, from fresh random roots per row; at most %d\n"
      "         walks or %.0f s per row; store opened with the CLI's options\n\n",
      plan.walks, plan.row_seconds);

  // Roots: random versions of models (the question "what was this model trained on"),
  // or of any artifact.
  uint64_t state = params.seed ^ 0x726f6f7473;  // "roots"
  const auto pick = [&](int first_layer) {
    std::vector<std::string> roots;
    const uint64_t lo = graph.layer_start(first_layer), n = graph.artifacts() - lo;
    for (int i = 0; i < plan.walks; ++i) {
      roots.push_back(graph.Node(lo + SplitMix64(&state) % n,
                                 1 + SplitMix64(&state) % params.versions_per_artifact));
    }
    return roots;
  };

  StoreOptions options;
  options.sync = false;
  const auto open_start = Clock::now();
  ASSIGN_OR_RETURN(auto store, Store::Open(dir.string(), options));
  std::printf("RESULTS (ms per walk; store opened in %.1f ms)\n",
              Seconds(open_start) * 1e3);
  std::printf("  %-15s %-5s %5s %8s %8s %8s %8s %8s\n", "roots", "load", "walks", "p50",
              "p90", "p99", "mean", "max");
  const std::vector<std::string> models = pick(3);
  {
    // The first walk after open, as one `strata lineage` command pays it.
    const LineageOptions o{.direction = LineageDirection::kUp, .max_depth = 10};
    const auto start = Clock::now();
    ASSIGN_OR_RETURN(LineageGraph g, store->lineage().Walk(models[0], o));
    std::printf("  %-15s %-5s %5d %8.3f   (%zu nodes; the first walk after open)\n",
                "one model", "true", 1, Seconds(start) * 1e3, g.nodes.size());
  }
  ASSIGN_OR_RETURN(Summary ids_only,
                   Measure(*store, models, plan, "model versions", false));
  ASSIGN_OR_RETURN(Summary records,
                   Measure(*store, pick(3), plan, "model versions", true));
  RETURN_IF_ERROR(Measure(*store, pick(0), plan, "any version", false).status());
  RETURN_IF_ERROR(Measure(*store, pick(0), plan, "any version", true).status());

  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "  peak RSS of this process (building the store included, when built): %ld MiB\n\n",
      usage.ru_maxrss / 1024);

  std::printf("TARGETS\n");
  for (const auto& [label, t] :
       {std::pair{"ids only", ids_only}, std::pair{"records", records}}) {
    std::printf(
        "  %-48s %-5s p50 %.3f ms\n",
        absl::StrCat("depth-10 walk from a model, ", label, ": p50 <= 5 ms").c_str(),
        t.p50 <= 5.0 ? "PASS" : "MISS", t.p50);
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  strata::bench::Params params;
  std::string store = "bench/out/lineage-store";
  strata::bench::WalkPlan plan;
  CLI::App app{"lineage_bench: depth-10 upstream lineage walks over a synthetic graph"};
  app.add_option("--versions", params.versions,
                 "Versions in the graph (default 1000000)");
  app.add_option("--edges", params.edges, "Lineage edges in the graph (default 3000000)");
  app.add_option("--store", store,
                 "Cache directory of the built store (default bench/out/lineage-store)");
  app.add_option("--walks", plan.walks, "Walks per measured row (default 2000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--row-seconds", plan.row_seconds,
                 "Stop a row after this many seconds, with fewer walks (default 15)");
  CLI11_PARSE(app, argc, argv);

  // The MACHINE block is the one every benchmark prints (bench/machine.sh).
  std::error_code ec;
  std::filesystem::create_directories(store, ec);
  const std::string machine =
      absl::StrCat("bash '", STRATA_SOURCE_DIR, "/bench/machine.sh' '", store, "'");
  std::fflush(stdout);
  if (std::system(machine.c_str()) != 0)
    std::printf("MACHINE (bench/machine.sh failed)\n");
  std::printf("\n");
  absl::Status s = strata::bench::Run(params, store, plan);
  if (!s.ok()) {
    std::fprintf(stderr, "lineage_bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
