// S3Client: the requests strata makes of an S3-compatible object store (Ceph RGW,
// MinIO, AWS S3), through libcurl with its built-in AWS Signature Version 4 signing.
// Path-style URLs (ENDPOINT/BUCKET/KEY), which every implementation serves. The
// object-store chunk backend (issue 18) is built on it.
//
//   ASSIGN_OR_RETURN(auto s3, S3Client::Open({.endpoint = "http://127.0.0.1:7480",
//                                             .bucket = "ml", ...}));
//   RETURN_IF_ERROR(s3->Put("packs/ab/abcd", bytes));
#ifndef STRATA_STORE_S3_S3_CLIENT_H_
#define STRATA_STORE_S3_S3_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace strata {

struct S3Options {
  // http(s)://HOST[:PORT] of the object store. Required.
  std::string endpoint;
  // The signing region. Default us-east-1 (what RGW and MinIO accept by default).
  std::string region = "us-east-1";
  // The bucket every request names. Required: 3 to 63 characters.
  std::string bucket;
  // Keys; empty: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment.
  std::string access_key, secret_key;
  // A request's connection phase and whole duration. Defaults: 5 s and 60 s.
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(60);
  // Attempts of a request that failed in a way a retry may fix (no connection, a
  // timeout, a 5xx answer), with backoff doubling from 100 ms. Default 4.
  int attempts = 4;
};

// Thread-safe: each call uses its own connection from a shared pool.
class S3Client {
 public:
  // Errors: InvalidArgument for a missing endpoint, a malformed bucket name or
  // missing keys.
  static absl::StatusOr<std::unique_ptr<S3Client>> Open(S3Options options);
  ~S3Client();

  // Creates the bucket; OK when this user owns it already.
  // Errors: as Put.
  absl::Status CreateBucket();

  // Stores `bytes` at `key`, replacing any object there.
  // Errors: Unavailable naming the endpoint and key when the store cannot be
  // reached or keeps failing; PermissionDenied for a 403; NotFound when the bucket
  // does not exist; Internal for another answer.
  absl::Status Put(const std::string& key, const std::string& bytes);

  // Stores each (key, bytes) of `objects`, up to `parallel` requests in flight (one
  // connection each). Not atomic: after an error some objects may be stored; the
  // first error is returned once every request has ended. Errors: as Put.
  absl::Status PutMany(const std::vector<std::pair<std::string, std::string>>& objects,
                       int parallel = 8);

  // The object at `key`, or the `length` bytes from `offset` when length > 0.
  // Errors: NotFound when there is no such object; DataLoss when the answer is
  // shorter than asked; as Put.
  absl::StatusOr<std::string> Get(const std::string& key, uint64_t offset = 0,
                                  uint64_t length = 0);

  // The object's size, nullopt when there is none. Errors: as Put.
  absl::StatusOr<std::optional<uint64_t>> Size(const std::string& key);

  // Removes the object; OK when there is none. Errors: as Put.
  absl::Status Delete(const std::string& key);

  // Every key starting with `prefix`, in order (ListObjectsV2, page by page).
  // Errors: as Put; DataLoss for an answer that is not a listing.
  absl::StatusOr<std::vector<std::string>> List(const std::string& prefix);

  const S3Options& options() const { return options_; }

 private:
  struct Response {
    long status = 0;
    std::string body;
  };
  explicit S3Client(S3Options options) : options_(std::move(options)) {}
  // One request with retries: METHOD on ENDPOINT/BUCKET[/KEY][?QUERY].
  absl::StatusOr<Response> Request(const std::string& method, const std::string& key,
                                   const std::string& query, const std::string* body,
                                   const std::string& range);
  std::string Url(const std::string& key, const std::string& query) const;
  S3Options options_;
};

}  // namespace strata

#endif  // STRATA_STORE_S3_S3_CLIENT_H_
