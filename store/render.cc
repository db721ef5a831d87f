#include "store/render.h"

#include <functional>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "store/digest.h"
#include "store/runs.h"

namespace strata {
namespace {

std::string ContentIdText(absl::string_view raw) {
  auto d = Digest::FromRaw(raw);
  return d.ok() ? absl::StrCat("sha256:", d->Hex()) : "";
}

absl::string_view EdgeKindName(store::EdgeKind kind) {
  switch (kind) {
    case store::EDGE_KIND_INPUT:
      return "input";
    case store::EDGE_KIND_OUTPUT:
      return "output";
    case store::EDGE_KIND_DERIVED:
      return "derived";
    case store::EDGE_KIND_FED:
      return "fed";
    default:
      return "unknown";
  }
}

template <typename Map>
void WriteStringMap(JsonWriter& w, const Map& map) {
  std::map<std::string, std::string> sorted(map.begin(), map.end());
  w.BeginObject();
  for (const auto& [k, v] : sorted) w.Key(k).String(v);
  w.EndObject();
}

void WriteNodeJson(JsonWriter& w, const LineageNode& n) {
  w.BeginObject().Key("id").String(n.id);
  if (n.version.has_value()) {
    const auto& v = *n.version;
    w.Key("kind").String(v.kind()).Key("name").String(v.name()).Key("version").Uint(
        v.number());
    w.Key("content_id").String(ContentIdText(v.content_id())).Key("size").Uint(v.size());
    w.Key("created")
        .String(FormatTime(v.created_us()))
        .Key("creator")
        .String(v.creator());
  } else if (n.run.has_value()) {
    const auto& r = *n.run;
    w.Key("kind").String("run").Key("name").String(r.name());
    w.Key("status").String(RunStatusName(r.status()));
    w.Key("created").String(FormatTime(r.start_us())).Key("creator").String(r.creator());
  } else {
    w.Key("kind").String(n.id.rfind("run/", 0) == 0 ? "run"
                                                    : n.id.substr(0, n.id.find('/')));
  }
  w.Key("depth").Int(n.depth).EndObject();
}

std::string NodeLabel(const LineageNode& n) {
  if (n.run.has_value()) {
    return absl::StrCat(n.id, " (", n.run->name(), ", ", RunStatusName(n.run->status()),
                        ")");
  }
  return n.id;
}

std::string RenderTree(const LineageGraph& g, LineageDirection direction) {
  absl::flat_hash_map<std::string, const LineageNode*> nodes;
  for (const auto& n : g.nodes) nodes[n.id] = &n;
  std::map<std::string, std::vector<std::string>> up, down;  // node -> neighbours
  for (const auto& e : g.edges) {
    up[e.to].push_back(e.from);
    down[e.from].push_back(e.to);
  }
  std::string out;
  auto section = [&](const std::map<std::string, std::vector<std::string>>& next) {
    absl::flat_hash_set<std::string> printed;
    std::function<void(const std::string&, const std::string&, bool, bool)> visit =
        [&](const std::string& id, const std::string& indent, bool last, bool is_root) {
          auto it = nodes.find(id);
          std::string label = it != nodes.end() ? NodeLabel(*it->second) : id;
          const bool repeat = !printed.insert(id).second;
          if (is_root) {
            absl::StrAppend(&out, label, "\n");
          } else {
            absl::StrAppend(&out, indent, last ? "└── " : "├── ", label,
                            repeat ? " (shown above)" : "", "\n");
          }
          if (repeat && !is_root) return;
          auto children = next.find(id);
          if (children == next.end()) return;
          std::string child_indent = is_root ? "" : indent + (last ? "    " : "│   ");
          const auto& list = children->second;
          for (size_t i = 0; i < list.size(); ++i) {
            visit(list[i], child_indent, i + 1 == list.size(), false);
          }
        };
    visit(g.root, "", true, true);
  };
  if (direction == LineageDirection::kBoth) {
    out.append("upstream:\n");
    section(up);
    out.append("downstream:\n");
    section(down);
  } else {
    section(direction == LineageDirection::kUp ? up : down);
  }
  return out;
}

}  // namespace

std::string FormatTime(int64_t unix_micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(unix_micros),
                          absl::UTCTimeZone());
}

std::string FormatTimeShort(int64_t unix_micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(unix_micros),
                          absl::UTCTimeZone());
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return absl::StrFormat("%.1f %s", v, units[u]);
}

std::string Count(uint64_t n, absl::string_view one, absl::string_view many) {
  if (n == 1) return absl::StrCat(n, " ", one);
  return many.empty() ? absl::StrCat(n, " ", one, "s") : absl::StrCat(n, " ", many);
}

std::string VersionRef(const store::Version& v) {
  return absl::StrCat(v.kind(), "/", v.name(), "@", v.number());
}

void WriteVersionJson(JsonWriter& w, const store::Version& v,
                      const std::vector<std::string>& aliases) {
  w.BeginObject();
  w.Key("ref").String(VersionRef(v));
  w.Key("kind").String(v.kind()).Key("name").String(v.name()).Key("version").Uint(
      v.number());
  w.Key("content_id").String(ContentIdText(v.content_id())).Key("size").Uint(v.size());
  w.Key("created").String(FormatTime(v.created_us())).Key("creator").String(v.creator());
  w.Key("message").String(v.message());
  w.Key("metadata");
  WriteStringMap(w, v.metadata());
  w.Key("inputs").BeginArray();
  for (const auto& in : v.inputs()) w.String(in);
  w.EndArray();
  w.Key("run");
  if (v.run_id().empty()) {
    w.Null();
  } else {
    w.String(v.run_id());
  }
  w.Key("aliases").BeginArray();
  for (const auto& a : aliases) w.String(a);
  w.EndArray();
  w.Key("deleted");
  if (!v.has_deleted()) {
    w.Null();
  } else {
    const store::Deletion& d = v.deleted();
    w.BeginObject().Key("by").String(d.who()).Key("at").String(FormatTime(d.at_us()));
    w.Key("reason").String(d.reason()).Key("overridden").BeginArray();
    for (const auto& o : d.overridden()) w.String(o);
    w.EndArray().EndObject();
  }
  w.EndObject();
}

void WriteKeptByJson(JsonWriter& w, const std::vector<KeptBy>& kept) {
  w.BeginArray();
  for (const KeptBy& k : kept) {
    w.BeginObject().Key("node").String(k.node).Key("aliases").BeginArray();
    for (const auto& a : k.aliases) w.String(a);
    w.EndArray().Key("current_definition").Bool(k.current_definition);
    w.Key("path").BeginArray();
    for (const auto& p : k.path) w.String(p);
    w.EndArray().EndObject();
  }
  w.EndArray();
}

void WriteRunJson(JsonWriter& w, const store::Run& run) {
  w.BeginObject();
  w.Key("id").String(run.id()).Key("name").String(run.name());
  w.Key("status")
      .String(RunStatusName(run.status()))
      .Key("creator")
      .String(run.creator());
  w.Key("start").String(FormatTime(run.start_us())).Key("end");
  if (run.end_us() == 0) {
    w.Null();
  } else {
    w.String(FormatTime(run.end_us()));
  }
  w.Key("params");
  WriteStringMap(w, run.params());
  w.Key("metrics").BeginObject();
  std::map<std::string, double> metrics(run.metrics().begin(), run.metrics().end());
  for (const auto& [k, v] : metrics) w.Key(k).Double(v);
  w.EndObject();
  w.Key("metric_history").BeginObject();
  std::map<std::string, store::MetricHistory> history(run.metric_history().begin(),
                                                      run.metric_history().end());
  for (const auto& [k, h] : history) {
    w.Key(k).BeginArray();
    for (const auto& p : h.points()) {
      w.BeginObject().Key("value").Double(p.value()).Key("at").String(
          FormatTime(p.at_us()));
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  w.Key("inputs").BeginArray();
  for (const auto& in : run.inputs()) w.String(in);
  w.EndArray().Key("outputs").BeginArray();
  for (const auto& out : run.outputs()) w.String(out);
  w.EndArray().EndObject();
}

void WriteAliasMoveJson(JsonWriter& w, const store::AliasMove& m) {
  w.BeginObject().Key("sequence").Uint(m.sequence()).Key("alias").String(m.alias());
  w.Key("from");
  if (m.from_version() == 0) {
    w.Null();
  } else {
    w.Uint(m.from_version());
  }
  w.Key("to");
  if (m.to_version() == 0) {
    w.Null();
  } else {
    w.Uint(m.to_version());
  }
  w.Key("who").String(m.who()).Key("at").String(FormatTime(m.at_us()));
  w.Key("reason").String(m.reason()).EndObject();
}

absl::StatusOr<LineageFormat> ParseLineageFormat(absl::string_view text) {
  if (text == "tree") return LineageFormat::kTree;
  if (text == "json") return LineageFormat::kJson;
  if (text == "dot") return LineageFormat::kDot;
  if (text == "mermaid") return LineageFormat::kMermaid;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown lineage format '", text, "' (tree, json, dot, mermaid)"));
}

std::string RenderLineage(const LineageGraph& g, LineageFormat format,
                          LineageDirection direction) {
  switch (format) {
    case LineageFormat::kTree:
      return RenderTree(g, direction);
    case LineageFormat::kJson: {
      JsonWriter w;
      w.BeginObject().Key("root").String(g.root).Key("nodes").BeginArray();
      for (const auto& n : g.nodes) WriteNodeJson(w, n);
      w.EndArray().Key("edges").BeginArray();
      for (const auto& e : g.edges) {
        w.BeginObject().Key("from").String(e.from).Key("to").String(e.to);
        w.Key("kind").String(EdgeKindName(e.kind)).EndObject();
      }
      w.EndArray().EndObject();
      return w.Take() + "\n";
    }
    case LineageFormat::kDot: {
      std::string out =
          "digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n";
      for (const auto& n : g.nodes) {
        const bool run = n.id.rfind("run/", 0) == 0;
        absl::StrAppend(&out, "  ", JsonWriter::Quote(n.id),
                        " [label=", JsonWriter::Quote(NodeLabel(n)),
                        ", shape=", run ? "ellipse" : "box",
                        n.id == g.root ? ", style=bold" : "", "];\n");
      }
      for (const auto& e : g.edges) {
        absl::StrAppend(&out, "  ", JsonWriter::Quote(e.from), " -> ",
                        JsonWriter::Quote(e.to), " [label=\"", EdgeKindName(e.kind),
                        "\"];\n");
      }
      out.append("}\n");
      return out;
    }
    case LineageFormat::kMermaid: {
      absl::flat_hash_map<std::string, std::string> ids;
      std::string out = "flowchart LR\n";
      auto label = [](const std::string& s) {
        std::string q;
        for (char c : s) q += c == '"' ? std::string("#quot;") : std::string(1, c);
        return q;
      };
      for (const auto& n : g.nodes) {
        std::string id = absl::StrCat("n", ids.size());
        ids[n.id] = id;
        const bool run = n.id.rfind("run/", 0) == 0;
        absl::StrAppend(&out, "  ", id, run ? "([\"" : "[\"", label(NodeLabel(n)),
                        run ? "\"])" : "\"]", "\n");
      }
      for (const auto& e : g.edges) {
        auto from = ids.find(e.from);
        auto to = ids.find(e.to);
        if (from == ids.end() || to == ids.end()) continue;
        absl::StrAppend(&out, "  ", from->second, " -->|", EdgeKindName(e.kind), "| ",
                        to->second, "\n");
      }
      return out;
    }
  }
  return "";
}

void WriteArtifactSummaryJson(JsonWriter& w, const ArtifactSummary& s) {
  w.BeginObject().Key("artifact").String(s.artifact.ToString());
  w.Key("kind").String(KindName(s.artifact.kind)).Key("name").String(s.artifact.name);
  w.Key("latest").Uint(s.head.latest_version());
  w.Key("created").String(FormatTime(s.head.created_us()));
  w.Key("updated").String(FormatTime(s.head.updated_us()));
  w.Key("aliases").BeginObject();
  for (const auto& [name, version] : s.aliases) w.Key(name).Uint(version);
  w.EndObject().EndObject();
}

}  // namespace strata
