#include "store/s3/s3_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "store/status_macros.h"

namespace strata {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One easy handle per thread, reset per request: its connections stay open between
// requests (keep-alive) without locks.
CURL* ThreadHandle() {
  thread_local std::unique_ptr<CURL, void (*)(CURL*)> handle(curl_easy_init(),
                                                             curl_easy_cleanup);
  return handle.get();
}

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// Percent-encodes `text` as S3 wants in a path (every byte but unreserved ones and,
// when `keep_slash`, '/').
std::string Escape(const std::string& text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string XmlUnescape(absl::string_view text) {
  return absl::StrReplaceAll(
      text,
      {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}});
}

// The text of each <TAG>...</TAG> in `xml`, in order.
std::vector<std::string> Elements(const std::string& xml, const std::string& tag) {
  std::vector<std::string> out;
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  for (size_t at = xml.find(open); at != std::string::npos; at = xml.find(open, at)) {
    const size_t begin = at + open.size();
    const size_t end = xml.find(close, begin);
    if (end == std::string::npos) break;
    out.push_back(XmlUnescape(absl::string_view(xml).substr(begin, end - begin)));
    at = end + close.size();
  }
  return out;
}

bool Retryable(CURLcode code) {
  return code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT ||
         code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR ||
         code == CURLE_GOT_NOTHING || code == CURLE_PARTIAL_FILE ||
         code == CURLE_COULDNT_RESOLVE_HOST;
}

}  // namespace

absl::StatusOr<std::unique_ptr<S3Client>> S3Client::Open(S3Options options) {
  GlobalInit();
  if (!absl::StartsWith(options.endpoint, "http://") &&
      !absl::StartsWith(options.endpoint, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat("S3 endpoint '", options.endpoint,
                                                   "' is not http(s)://HOST[:PORT]"));
  }
  while (absl::EndsWith(options.endpoint, "/")) options.endpoint.pop_back();
  const std::string& b = options.bucket;
  const bool bucket_ok =
      b.size() >= 3 && b.size() <= 63 && std::all_of(b.begin(), b.end(), [](char c) {
        return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '.';
      });
  if (!bucket_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "S3 bucket '", b, "' is not 3 to 63 lowercase letters, digits, '-' or '.'"));
  }
  if (options.access_key.empty()) {
    const char* key = std::getenv("AWS_ACCESS_KEY_ID");
    const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    if (key != nullptr) options.access_key = key;
    if (secret != nullptr) options.secret_key = secret;
  }
  if (options.access_key.empty() || options.secret_key.empty()) {
    return absl::InvalidArgumentError(
        "no S3 keys: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  if (options.region.empty()) options.region = "us-east-1";
  if (options.attempts < 1) options.attempts = 1;
  return std::unique_ptr<S3Client>(new S3Client(std::move(options)));
}

S3Client::~S3Client() = default;

std::string S3Client::Url(const std::string& key, const std::string& query) const {
  std::string url = absl::StrCat(options_.endpoint, "/", options_.bucket);
  if (!key.empty()) absl::StrAppend(&url, "/", Escape(key, true));
  if (!query.empty()) absl::StrAppend(&url, "?", query);
  return url;
}

absl::StatusOr<S3Client::Response> S3Client::Request(const std::string& method,
                                                     const std::string& key,
                                                     const std::string& query,
                                                     const std::string* body,
                                                     const std::string& range) {
  const std::string url = Url(key, query);
  const std::string what = absl::StrCat(method, " ", url);
  const std::string sigv4 = absl::StrCat("aws:amz:", options_.region, ":s3");
  const std::string user = absl::StrCat(options_.access_key, ":", options_.secret_key);
  absl::Duration backoff = absl::Milliseconds(100);
  std::string last_error;
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    CURL* h = ThreadHandle();
    curl_easy_reset(h);
    Response response;
    curl_slist* headers =
        curl_slist_append(nullptr, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    if (!range.empty()) headers = curl_slist_append(headers, ("Range: " + range).c_str());
    if (body != nullptr) {
      // (No "Expect:" to turn 100-continue off: curl signs the empty header, and the
      // signature then does not match.)
      headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    }
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(h, CURLOPT_USERPWD, user.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(
        h, CURLOPT_CONNECTTIMEOUT_MS,
        static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
    curl_easy_setopt(
        h, CURLOPT_TIMEOUT_MS,
        static_cast<long>(absl::ToInt64Milliseconds(options_.request_timeout)));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Append);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
    if (method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    if (body != nullptr) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(body->size()));
    }
    const CURLcode code = curl_easy_perform(h);
    curl_slist_free_all(headers);
    if (code == CURLE_OK) {
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
      if (response.status < 500) return response;
      last_error = absl::StrCat("HTTP ", response.status);
    } else {
      last_error = curl_easy_strerror(code);
      if (!Retryable(code)) break;
    }
    if (attempt < options_.attempts) {
      std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
      backoff *= 2;
    }
  }
  return absl::UnavailableError(absl::StrCat("S3 ", what, ": ", last_error, " (after ",
                                             options_.attempts, " attempts)"));
}

namespace {

// The error of an answer that is not a success.
absl::Status Refused(const std::string& what, long status, const std::string& body) {
  const std::vector<std::string> codes = Elements(body, "Code");
  const std::string code = codes.empty() ? "" : absl::StrCat(" ", codes.front());
  const std::string text = absl::StrCat("S3 ", what, ": HTTP ", status, code);
  if (status == 403) return absl::PermissionDeniedError(text);
  if (status == 404) return absl::NotFoundError(text);
  return absl::InternalError(text);
}

}  // namespace

absl::Status S3Client::CreateBucket() {
  const std::string empty;
  ASSIGN_OR_RETURN(Response r, Request("PUT", "", "", &empty, ""));
  if (r.status == 200) return absl::OkStatus();
  if (r.status == 409 && absl::StrContains(r.body, "BucketAlreadyOwnedByYou")) {
    return absl::OkStatus();
  }
  return Refused(absl::StrCat("create bucket ", options_.bucket), r.status, r.body);
}

absl::Status S3Client::Put(const std::string& key, const std::string& bytes) {
  ASSIGN_OR_RETURN(Response r, Request("PUT", key, "", &bytes, ""));
  if (r.status == 200) return absl::OkStatus();
  return Refused(absl::StrCat("PUT ", key), r.status, r.body);
}

absl::Status S3Client::PutMany(
    const std::vector<std::pair<std::string, std::string>>& objects, int parallel) {
  // Threads rather than one multi handle: each reuses its own connection and the
  // retries of Put, and they spend their time waiting on the network.
  std::atomic<size_t> next{0};
  std::mutex mu;
  absl::Status first;
  auto work = [&] {
    for (size_t i = next++; i < objects.size(); i = next++) {
      absl::Status s = Put(objects[i].first, objects[i].second);
      if (!s.ok()) {
        std::lock_guard lock(mu);
        if (first.ok()) first = std::move(s);
        return;
      }
    }
  };
  const size_t threads =
      std::min(objects.size(), static_cast<size_t>(std::max(1, parallel)));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  if (threads > 0) work();
  for (std::thread& t : pool) t.join();
  return first;
}

absl::StatusOr<std::string> S3Client::Get(const std::string& key, uint64_t offset,
                                          uint64_t length) {
  const std::string range =
      length > 0 ? absl::StrCat("bytes=", offset, "-", offset + length - 1) : "";
  ASSIGN_OR_RETURN(Response r, Request("GET", key, "", nullptr, range));
  if (r.status != 200 && r.status != 206) {
    return Refused(absl::StrCat("GET ", key), r.status, r.body);
  }
  if (length > 0 && r.body.size() != length) {
    return absl::DataLossError(absl::StrCat("S3 GET ", key, " bytes ", offset, "+",
                                            length, ": ", r.body.size(),
                                            " bytes came back"));
  }
  return std::move(r.body);
}

absl::StatusOr<std::optional<uint64_t>> S3Client::Size(const std::string& key) {
  ASSIGN_OR_RETURN(Response r, Request("HEAD", key, "", nullptr, ""));
  if (r.status == 404) return std::optional<uint64_t>();
  if (r.status != 200) return Refused(absl::StrCat("HEAD ", key), r.status, r.body);
  // The handle of this thread made the request: its answer's length.
  curl_off_t size = -1;
  curl_easy_getinfo(ThreadHandle(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &size);
  if (size < 0) {
    return absl::DataLossError(absl::StrCat("S3 HEAD ", key, ": no Content-Length"));
  }
  return std::optional<uint64_t>(static_cast<uint64_t>(size));
}

absl::Status S3Client::Delete(const std::string& key) {
  ASSIGN_OR_RETURN(Response r, Request("DELETE", key, "", nullptr, ""));
  if (r.status == 204 || r.status == 200 || r.status == 404) return absl::OkStatus();
  return Refused(absl::StrCat("DELETE ", key), r.status, r.body);
}

absl::StatusOr<std::vector<std::string>> S3Client::List(const std::string& prefix) {
  std::vector<std::string> keys;
  std::string token;
  while (true) {
    // Parameters in name order: SigV4 signs the query as sorted, and curl signs it as
    // written.
    std::string query;
    if (!token.empty())
      query = absl::StrCat("continuation-token=", Escape(token, false), "&");
    absl::StrAppend(&query, "list-type=2&prefix=", Escape(prefix, false));
    ASSIGN_OR_RETURN(Response r, Request("GET", "", query, nullptr, ""));
    if (r.status != 200) return Refused(absl::StrCat("list ", prefix), r.status, r.body);
    if (!absl::StrContains(r.body, "<ListBucketResult")) {
      return absl::DataLossError(absl::StrCat("S3 list ", prefix, ": not a listing"));
    }
    for (std::string& key : Elements(r.body, "Key")) keys.push_back(std::move(key));
    const std::vector<std::string> truncated = Elements(r.body, "IsTruncated");
    const std::vector<std::string> next = Elements(r.body, "NextContinuationToken");
    if (truncated.empty() || truncated.front() != "true" || next.empty()) break;
    token = next.front();
  }
  return keys;
}

}  // namespace strata
