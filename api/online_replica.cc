#include "api/online_replica.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <regex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "features/online_store.h"
#include "httplib.h"
#include "store/status_macros.h"

namespace strata::api {

struct OnlineReplica::Impl {
  OnlineReplicaOptions options;
  std::unique_ptr<httplib::Client> http;  // used by one thread at a time (mu_fetch)
  std::mutex fetch_mu;
  std::string etag;       // of the catalog served
  std::string table_url;  // of the online table the lookup holds
  std::shared_ptr<const features::OnlineTable> table;

  mutable std::mutex mu;
  std::shared_ptr<const features::CatalogLookup> lookup;  // guarded by mu
  OnlineReplicaStats stats;                                // guarded by mu

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::thread refresher;

  // One catalog request: a new catalog (served from then on), or the same.
  absl::Status Fetch() {
    std::lock_guard lock(fetch_mu);
    httplib::Headers headers;
    if (!etag.empty()) headers.emplace("If-None-Match", etag);
    const httplib::Result r = http->Get("/v1/online/catalog", headers);
    const std::string where = absl::StrCat("the primary ", options.primary);
    if (!r) {
      return absl::UnavailableError(
          absl::StrCat(where, " does not answer: ", httplib::to_string(r.error())));
    }
    if (r->status == 304) {
      std::lock_guard l(mu);
      ++stats.fetches;
      stats.last_fetch = absl::Now();
      return absl::OkStatus();
    }
    if (r->status != 200) {
      const std::string message =
          absl::StrCat(where, " answered GET /v1/online/catalog with ", r->status, ": ",
                       r->body.substr(0, 300));
      if (r->status == 401) return absl::UnauthenticatedError(message);
      if (r->status == 403) return absl::PermissionDeniedError(message);
      return absl::UnavailableError(message);
    }
    features::OnlineCatalog catalog;
    if (!catalog.ParseFromString(r->body)) {
      return absl::DataLossError(absl::StrCat(where, " sent a catalog that does not parse"));
    }
    const std::string url =
        options.online_store.empty() ? catalog.online_store() : options.online_store;
    if (url != table_url || table == nullptr) {
      if (url.empty() || url == features::kEmbeddedOnlineStore) {
        return absl::FailedPreconditionError(absl::StrCat(
            where, " keeps its online table embedded in its store; a replica reads only "
                   "Redis (strata serve --online-store redis://...)"));
      }
      ASSIGN_OR_RETURN(table, features::OnlineTableForLookups(url));
      table_url = url;
    }
    ASSIGN_OR_RETURN(std::unique_ptr<const features::CatalogLookup> next,
                     features::CatalogLookup::Make(catalog, table));
    etag = r->get_header_value("ETag");
    std::lock_guard l(mu);
    lookup = std::move(next);
    ++stats.fetches;
    ++stats.changes;
    stats.last_fetch = absl::Now();
    return absl::OkStatus();
  }

  void Refresh() {
    std::unique_lock lock(stop_mu);
    while (!stop_cv.wait_for(lock, absl::ToChronoMilliseconds(options.refresh),
                             [&] { return stopping; })) {
      lock.unlock();
      if (!Fetch().ok()) {
        std::lock_guard l(mu);
        ++stats.failures;
      }
      lock.lock();
    }
  }
};

OnlineReplica::OnlineReplica(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<OnlineReplica>> OnlineReplica::Start(
    OnlineReplicaOptions options) {
  static const std::regex kUrl(R"(^(https?)://([^/:?#]+)(:([0-9]{1,5}))?/?$)");
  std::smatch m;
  if (!std::regex_match(options.primary, m, kUrl)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--primary ", options.primary, ": expected http://HOST[:PORT] or https://HOST[:PORT]"));
  }
  auto impl = std::make_unique<Impl>();
  std::string url = options.primary;
  if (url.back() == '/') url.pop_back();
  impl->http = std::make_unique<httplib::Client>(url);
  httplib::Client& http = *impl->http;
  http.set_keep_alive(true);
  http.set_tcp_nodelay(true);
  http.set_connection_timeout(5, 0);
  http.set_read_timeout(30, 0);
  if (m[1] == "https") {
    if (!options.ca_file.empty()) http.set_ca_cert_path(options.ca_file);
    http.enable_server_certificate_verification(true);
  }
  if (!options.token.empty()) {
    http.set_default_headers({{"Authorization", "Bearer " + options.token}});
  }
  impl->options = std::move(options);
  RETURN_IF_ERROR(impl->Fetch());
  Impl* raw = impl.get();
  impl->refresher = std::thread([raw] { raw->Refresh(); });
  return std::unique_ptr<OnlineReplica>(new OnlineReplica(std::move(impl)));
}

OnlineReplica::~OnlineReplica() {
  {
    std::lock_guard lock(impl_->stop_mu);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  if (impl_->refresher.joinable()) impl_->refresher.join();
}

std::shared_ptr<const features::CatalogLookup> OnlineReplica::lookup() const {
  std::lock_guard lock(impl_->mu);
  return impl_->lookup;
}

OnlineReplicaStats OnlineReplica::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

}  // namespace strata::api
