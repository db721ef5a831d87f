#include "gc/retention.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "store/json_writer.h"
#include "store/render.h"
#include "store/status_macros.h"

namespace strata::gc {
namespace {

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// "90d", "36h", "5m" or "45s": the largest unit that divides `seconds`.
std::string FormatSeconds(int64_t seconds) {
  for (const auto& [unit, size] :
       {std::pair<const char*, int64_t>{"d", 86400}, {"h", 3600}, {"m", 60}}) {
    if (seconds % size == 0) return absl::StrCat(seconds / size, unit);
  }
  return absl::StrCat(seconds, "s");
}

// The kind a target names, and whether it names one artifact.
absl::StatusOr<std::pair<Kind, bool>> ParseTarget(const std::string& target) {
  if (absl::StrContains(target, '/')) {
    ASSIGN_OR_RETURN(ArtifactId id, ParseArtifactId(target));
    return std::make_pair(id.kind, true);
  }
  ASSIGN_OR_RETURN(Kind kind, ParseKind(target));
  return std::make_pair(kind, false);
}

Digest DigestAt(absl::string_view raw32) {
  Digest d;
  std::memcpy(d.bytes.data(), raw32.data(), 32);
  return d;
}

// Stored bytes of the chunks that the contents of `dropped` name and no other live
// version's content does.
absl::StatusOr<uint64_t> BytesFreedBy(Store& store,
                                      const std::vector<ExpiredVersion>& dropped) {
  if (dropped.empty()) return 0;
  const absl::flat_hash_set<std::string> dropped_refs = [&] {
    absl::flat_hash_set<std::string> out;
    for (const ExpiredVersion& e : dropped) out.insert(e.version);
    return out;
  }();
  absl::flat_hash_set<std::string> kept_contents, dropped_contents;
  RETURN_IF_ERROR(store.artifacts().ScanVersions([&](const store::Version& v) {
    if (v.has_deleted()) return absl::OkStatus();
    (dropped_refs.contains(VersionRef(v)) ? dropped_contents : kept_contents)
        .insert(v.content_id());
    return absl::OkStatus();
  }));
  const auto chunks_of = [&](const absl::flat_hash_set<std::string>& contents,
                             absl::flat_hash_set<Digest>* out) -> absl::Status {
    for (const std::string& content : contents) {
      if (content.size() != 32) continue;  // names no manifest
      absl::StatusOr<store::Manifest> m = store.content().ReadManifest(DigestAt(content));
      if (absl::IsNotFound(m.status())) continue;
      RETURN_IF_ERROR(m.status());
      for (size_t off = 0; off + 32 <= m->chunk_ids().size(); off += 32) {
        out->insert(DigestAt(absl::string_view(m->chunk_ids()).substr(off, 32)));
      }
    }
    return absl::OkStatus();
  };
  absl::flat_hash_set<Digest> kept, candidates;
  RETURN_IF_ERROR(chunks_of(kept_contents, &kept));
  for (const std::string& c : kept_contents) dropped_contents.erase(c);
  RETURN_IF_ERROR(chunks_of(dropped_contents, &candidates));
  std::vector<Digest> ids;
  for (const Digest& id : candidates) {
    if (!kept.contains(id)) ids.push_back(id);
  }
  ASSIGN_OR_RETURN(auto stats, store.chunks().StatMany(ids));
  uint64_t bytes = 0;
  for (const auto& stat : stats) {
    if (stat.has_value()) bytes += stat->stored_size;
  }
  return bytes;
}

}  // namespace

std::string DescribePolicy(const store::RetentionPolicy& p) {
  std::vector<std::string> parts;
  if (p.keep_last() > 0) parts.push_back(absl::StrCat("keep last ", p.keep_last()));
  if (p.keep_within_seconds() > 0) {
    parts.push_back(absl::StrCat(parts.empty() ? "keep " : "", "within ",
                                 FormatSeconds(p.keep_within_seconds())));
  }
  if (p.log_keep_seconds() > 0) {
    parts.push_back(absl::StrCat("log ", FormatSeconds(p.log_keep_seconds())));
  }
  return absl::StrJoin(parts, ", ");
}

absl::Status SetRetentionPolicy(Store& store, const std::string& target,
                                store::RetentionPolicy policy, const Actor& who) {
  ASSIGN_OR_RETURN(auto parsed, ParseTarget(target));
  if (policy.keep_within_seconds() < 0 || policy.log_keep_seconds() < 0) {
    return absl::InvalidArgumentError("retention durations cannot be negative");
  }
  if (policy.keep_last() == 0 && policy.keep_within_seconds() == 0 &&
      policy.log_keep_seconds() == 0) {
    return absl::InvalidArgumentError(
        "a policy needs --keep-last, --keep-within or --log-keep (to keep every "
        "version, remove the policy)");
  }
  if (policy.log_keep_seconds() > 0 && parsed.first != Kind::kFeatureView) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--log-keep applies to feature views' offline logs; ", target, " is not one"));
  }
  policy.set_updated_by(who.who);
  policy.set_on_behalf_of(who.on_behalf_of);
  policy.set_updated_us(NowMicros());
  return store.retention_policies().Put(target, policy);
}

absl::Status RemoveRetentionPolicy(Store& store, const std::string& target) {
  RETURN_IF_ERROR(ParseTarget(target).status());
  ASSIGN_OR_RETURN(bool existed, store.retention_policies().Erase(target));
  if (!existed) {
    return absl::NotFoundError(absl::StrCat(target, " has no retention policy"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, store::RetentionPolicy>> RetentionPolicies(
    Store& store) {
  return store.retention_policies().List();
}

absl::StatusOr<RetentionReport> PlanRetention(Store& store, int64_t now_us) {
  RetentionReport report;
  report.dry_run = true;
  const int64_t now = now_us != 0 ? now_us : NowMicros();
  ASSIGN_OR_RETURN(auto policies, RetentionPolicies(store));
  if (policies.empty()) return report;
  ArtifactStore& artifacts = store.artifacts();
  ASSIGN_OR_RETURN(std::vector<ArtifactSummary> all, artifacts.List(std::nullopt));
  for (const ArtifactSummary& summary : all) {
    const std::string name = summary.artifact.ToString();
    std::string target = name;
    auto policy = policies.find(target);
    if (policy == policies.end()) {
      target = std::string(KindName(summary.artifact.kind));
      policy = policies.find(target);
    }
    if (policy == policies.end()) continue;
    const store::RetentionPolicy& p = policy->second;
    if (p.log_keep_seconds() > 0) {
      LogTrim trim;
      trim.view = summary.artifact.name;
      trim.policy = target;
      trim.horizon_us = now - p.log_keep_seconds() * 1'000'000;
      report.logs.push_back(std::move(trim));
    }
    if (p.keep_last() == 0 && p.keep_within_seconds() == 0) continue;

    ASSIGN_OR_RETURN(std::vector<store::Version> versions,
                     artifacts.Versions(summary.artifact));
    uint32_t newer_live = 0;  // live versions newer than the one looked at
    for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
      if (v->has_deleted()) continue;
      const bool latest = newer_live == 0;
      const bool in_last = p.keep_last() > 0 && newer_live < p.keep_last();
      const bool recent = p.keep_within_seconds() > 0 &&
                          v->created_us() >= now - p.keep_within_seconds() * 1'000'000;
      ++newer_live;
      if (latest || in_last || recent) continue;
      ExpiredVersion e{VersionRef(*v), target, v->size(), v->created_us(), ""};
      ASSIGN_OR_RETURN(std::vector<KeptBy> kept,
                       artifacts.WhyKept(summary.artifact, v->number()));
      if (!kept.empty()) {
        e.kept_by = DescribeKeptBy(kept.front());
        report.protected_.push_back(std::move(e));
      } else {
        report.deleted.push_back(std::move(e));
      }
    }
  }
  return report;
}

absl::StatusOr<RetentionReport> ApplyRetention(Store& store,
                                               const RetentionOptions& options) {
  ASSIGN_OR_RETURN(RetentionReport report, PlanRetention(store, options.now_us));
  report.dry_run = options.dry_run;
  ASSIGN_OR_RETURN(report.bytes_freed, BytesFreedBy(store, report.deleted));
  if (options.trim_log) {
    // The logs are trimmed before the expired versions go, and never so far that a
    // kept training set could not be reproduced: the expired ones are not kept.
    std::vector<std::string> expiring;
    for (const ExpiredVersion& e : report.deleted) expiring.push_back(e.version);
    std::vector<LogTrim> trimmed;
    for (LogTrim& trim : report.logs) {
      const absl::Status s = options.trim_log(&trim, options.dry_run, expiring);
      if (absl::IsNotFound(s)) continue;  // nothing ingested yet
      RETURN_IF_ERROR(s);
      trimmed.push_back(std::move(trim));
    }
    report.logs = std::move(trimmed);
  }
  if (options.dry_run) return report;

  ASSIGN_OR_RETURN(auto policies, RetentionPolicies(store));
  std::vector<ExpiredVersion> deleted;
  for (ExpiredVersion& e : report.deleted) {
    ASSIGN_OR_RETURN(Ref ref, ParseRef(e.version));
    DeleteRequest request;
    request.artifact = ref.artifact;
    request.version = ref.version;
    request.who = options.who;
    request.reason = absl::StrCat("retention policy of ", e.policy, ": ",
                                  DescribePolicy(policies[e.policy]));
    absl::StatusOr<store::Version> done = store.artifacts().Delete(request);
    if (absl::IsFailedPrecondition(done.status())) {
      // Protected (or deleted) since it was planned: it stays.
      e.kept_by = std::string(done.status().message());
      report.protected_.push_back(std::move(e));
      continue;
    }
    RETURN_IF_ERROR(done.status());
    deleted.push_back(std::move(e));
  }
  report.deleted = std::move(deleted);
  return report;
}

}  // namespace strata::gc
