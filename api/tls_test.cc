// The server's transport: HTTPS with a certificate made at test time, its option
// checks, the I/O timeout cutting off a stalled client, and request bodies bounded
// by their Content-Length.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "api/internal/testing.h"
#include "api/server.h"
#include "features/definitions.h"
#include "features/feature_store.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing.h"

namespace strata::api {
namespace {

using internal::RawConnection;
using internal::WholeResponse;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

Key NewKey() { return Key(EVP_EC_gen("P-256"), EVP_PKEY_free); }

void WritePem(const std::string& path, const std::function<int(FILE*)>& write) {
  std::unique_ptr<FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "wb"),
                                                  std::fclose);
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(write(f.get()), 1) << path;
}

// Writes a self-signed certificate for IP 127.0.0.1 and DNS localhost, valid for an
// hour, and its private key (P-256), as PEM files.
void WriteSelfSignedCert(const std::string& cert_path, const std::string& key_path) {
  Key key = NewKey();
  ASSERT_NE(key, nullptr);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  ASSERT_EQ(X509_set_version(cert.get(), 2), 1);  // v3, for the extensions
  ASSERT_EQ(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  ASSERT_EQ(X509_set_pubkey(cert.get(), key.get()), 1);
  X509_NAME* name = X509_get_subject_name(cert.get());
  ASSERT_EQ(X509_NAME_add_entry_by_txt(
                name, "CN", MBSTRING_ASC,
                reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0),
            1);
  ASSERT_EQ(X509_set_issuer_name(cert.get(), name), 1);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] :
       {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
        std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    ASSERT_NE(ext, nullptr) << value;
    ASSERT_EQ(X509_add_ext(cert.get(), ext, -1), 1);
    X509_EXTENSION_free(ext);
  }
  ASSERT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);
  WritePem(cert_path, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
  WritePem(key_path, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
}

constexpr const char* kOnlineBody =
    "{\"features\":[\"customer_stats:segment\"],\"entities\":{\"customer_id\":[1,3]}}";

class TlsTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(
        internal::ServeCustomerOne(store_.get(), dir_.Sub("stats.csv")));
    cert_ = dir_.Sub("cert.pem");
    key_ = dir_.Sub("key.pem");
    WriteSelfSignedCert(cert_, key_);
  }

  ServerOptions TlsOptions() const {
    ServerOptions options;
    options.port = 0;
    options.tls_cert_file = cert_;
    options.tls_key_file = key_;
    return options;
  }

  // A client of `server` that trusts only the test's certificate.
  std::unique_ptr<httplib::SSLClient> TrustingClient(const Server& server) const {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", server.port());
    c->set_ca_cert_path(cert_.c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(5);
    c->set_read_timeout(5);
    return c;
  }

  std::string cert_, key_;
};

TEST_F(TlsTest, ServesHttpsToClientsThatTrustTheCertificate) {
  Server server(store_.get(), TlsOptions());
  ASSERT_TRUE(server.Start().ok());
  auto client = TrustingClient(server);
  auto r = client->Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"status\":\"ok\"}");
  r = client->Post("/get-online-features", kOnlineBody, "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("{\"values\":[\"gold\",null],\"statuses\":[\"PRESENT\","
                         "\"NOT_FOUND\"]"),
            std::string::npos)
      << r->body;
}

TEST_F(TlsTest, RefusesPlainHttpAndUntrustingClients) {
  Server server(store_.get(), TlsOptions());
  ASSERT_TRUE(server.Start().ok());
  httplib::Client plain("127.0.0.1", server.port());
  plain.set_connection_timeout(5);
  plain.set_read_timeout(5);
  auto r = plain.Get("/healthz");
  EXPECT_FALSE(r) << r->status << " " << r->body;

  // Verification against the system's CAs, which never signed the test certificate.
  httplib::SSLClient untrusting("127.0.0.1", server.port());
  untrusting.enable_server_certificate_verification(true);
  untrusting.set_connection_timeout(5);
  untrusting.set_read_timeout(5);
  r = untrusting.Get("/healthz");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), httplib::Error::SSLServerVerification)
      << httplib::to_string(r.error());

  // The server still serves those that trust it.
  r = TrustingClient(server)->Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsTest, TokensStillGuardRoutesOverTls) {
  const std::string tokens = dir_.Sub("tokens.txt");
  std::ofstream(tokens) << "read tls-test-token-0123456789\n";
  ServerOptions options = TlsOptions();
  options.tokens_file = tokens;
  Server server(store_.get(), options);
  ASSERT_TRUE(server.Start().ok());
  auto client = TrustingClient(server);
  auto r = client->Post("/get-online-features", kOnlineBody, "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 401) << r->body;
  r = client->Post("/get-online-features",
                   {{"Authorization", "Bearer tls-test-token-0123456789"}}, kOnlineBody,
                   "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200) << r->body;
}

// Start's error for `options`, which must be InvalidArgument mentioning `names`.
void ExpectInvalid(Store* store, const ServerOptions& options, const std::string& names) {
  Server server(store, options);
  const absl::Status s = server.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(names), std::string::npos) << s;
}

TEST_F(TlsTest, BadTlsFilesFailStartNamingTheFile) {
  const std::string garbage = dir_.Sub("garbage.pem");
  std::ofstream(garbage) << "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n";
  const std::string other_key = dir_.Sub("other-key.pem");
  Key key = NewKey();
  ASSERT_NE(key, nullptr);
  WritePem(other_key, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });

  ServerOptions options = TlsOptions();
  options.tls_key_file = garbage;
  ExpectInvalid(store_.get(), options, "TLS key file " + garbage);
  options.tls_key_file = other_key;
  ExpectInvalid(store_.get(), options, other_key + " does not match the certificate");
  options.tls_key_file = dir_.Sub("missing.pem");
  ExpectInvalid(store_.get(), options,
                "cannot read the TLS key file " + options.tls_key_file);
  options = TlsOptions();
  options.tls_cert_file = key_;  // a key where the certificate should be
  ExpectInvalid(store_.get(), options, "TLS certificate file " + key_);
  options = TlsOptions();
  options.tls_key_file.clear();
  ExpectInvalid(store_.get(), options, "--tls-cert and --tls-key");
  options = TlsOptions();
  options.tls_cert_file.clear();
  ExpectInvalid(store_.get(), options, "--tls-cert and --tls-key");
}

TEST_F(TlsTest, IoTimeoutIsValidated) {
  for (int seconds : {0, -1, 3601}) {
    ServerOptions options;
    options.port = 0;
    options.io_timeout_seconds = seconds;
    ExpectInvalid(store_.get(), options, "--io-timeout");
  }
  ServerOptions options;
  options.port = 0;
  options.io_timeout_seconds = 3600;
  Server server(store_.get(), options);
  EXPECT_TRUE(server.Start().ok());
}

// Sends `requests` on a new connection and returns what arrives until the server
// closes it; a failure of the test when it does not within 20 s.
std::string AnswersUntilClosed(int port, const std::string& requests) {
  RawConnection c(port);
  EXPECT_TRUE(c.connected());
  EXPECT_TRUE(c.Send(requests));
  std::string received;
  EXPECT_TRUE(c.WaitForClose(std::chrono::seconds(20), &received)) << received;
  return received;
}

TEST_F(TlsTest, StopClosesIdleKeepAliveConnections) {
  ServerOptions options;
  options.port = 0;
  options.io_timeout_seconds = 3600;  // the keep-alive timeout: not waited out
  Server server(store_.get(), options);
  ASSERT_TRUE(server.Start().ok());
  RawConnection c(server.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  std::string received;
  ASSERT_EQ(c.ReadUntil(std::chrono::seconds(20), &received, WholeResponse),
            RawConnection::kEnough)
      << received;
  // The connection now waits for its next request; Stop closes it.
  std::thread stopper([&server] { server.Stop(); });
  received.clear();
  EXPECT_TRUE(c.WaitForClose(std::chrono::seconds(60), &received))
      << "Stop left an idle keep-alive connection open";
  EXPECT_EQ(received, "");
  stopper.join();
}

TEST_F(TlsTest, ExpectContinueIsAnsweredBeforeTheBody) {
  ServerOptions options;
  options.port = 0;
  Server server(store_.get(), options);
  ASSERT_TRUE(server.Start().ok());
  RawConnection c(server.port());
  ASSERT_TRUE(c.connected());
  const std::string body = "model bytes";
  ASSERT_TRUE(
      c.Send("POST /v1/artifacts/model/churn HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Content-Type: application/octet-stream\r\nExpect: 100-continue\r\n"
             "Content-Length: " +
             std::to_string(body.size()) + "\r\n\r\n"));
  // The client waits for the interim answer before it sends the body.
  std::string received;
  ASSERT_EQ(
      c.ReadUntil(std::chrono::seconds(20), &received,
                  [](const std::string& r) { return r.find("\r\n\r\n") != r.npos; }),
      RawConnection::kEnough)
      << received;
  EXPECT_EQ(received, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.Send(body));
  received.clear();
  ASSERT_EQ(c.ReadUntil(std::chrono::seconds(20), &received, WholeResponse),
            RawConnection::kEnough)
      << received;
  EXPECT_EQ(received.rfind("HTTP/1.1 201", 0), 0u) << received;
  EXPECT_NE(received.find("\"ref\":\"model/churn@1\""), std::string::npos) << received;
}

TEST_F(TlsTest, IoTimeoutCutsOffAClientStalledMidBody) {
  ServerOptions options;
  options.port = 0;
  options.io_timeout_seconds = 1;
  Server server(store_.get(), options);
  ASSERT_TRUE(server.Start().ok());
  RawConnection c(server.port());
  ASSERT_TRUE(c.connected());
  // The headers promise 100 bytes of body; 10 come, then nothing.
  ASSERT_TRUE(
      c.Send("POST /get-online-features HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
             "{\"feature"));
  std::string received;
  ASSERT_TRUE(c.WaitForClose(std::chrono::seconds(20), &received))
      << "the server kept a stalled connection open";
  // The server answers the cut-off request 408 before it closes, or just closes.
  if (!received.empty()) {
    EXPECT_EQ(received.rfind("HTTP/1.1 408", 0), 0u) << received;
  }
}

TEST_F(TlsTest, BodiesAreBoundedByTheirContentLength) {
  ServerOptions options;
  options.port = 0;
  Server server(store_.get(), options);
  ASSERT_TRUE(server.Start().ok());
  {
    // httplib would read a chunked body whole, past --max-body-bytes, for a route
    // without a content reader: refused, and the connection closed, lest the unread
    // chunks be read as requests.
    const std::string received =
        AnswersUntilClosed(server.port(),
                           "POST /get-online-features HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n"
                           "22\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n\r\n0\r\n\r\n");
    EXPECT_EQ(received.rfind("HTTP/1.1 411", 0), 0u) << received;
    EXPECT_NE(received.find("{\"error\":{\"code\":\"INVALID_ARGUMENT\",\"message\":"
                            "\"this route needs the body's Content-Length"),
              std::string::npos)
        << received;
    EXPECT_EQ(received.find("HTTP/1.1", 1), std::string::npos) << received;
  }
  {
    // A compressed body would be inflated whole: refused, and the connection
    // closed, lest the unread body be read as the next request.
    const std::string received =
        AnswersUntilClosed(server.port(),
                           "POST /get-online-features HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Content-Encoding: gzip\r\nContent-Length: 34\r\n\r\n"
                           "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(received.rfind("HTTP/1.1 415", 0), 0u) << received;
    EXPECT_EQ(received.find("HTTP/1.1", 1), std::string::npos) << received;
  }
  {
    // Requests sent together are answered in order (httplib 0.11's own loop
    // dropped what it had read past the first).
    const std::string received =
        AnswersUntilClosed(server.port(),
                           "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                           "GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                           "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Connection: close\r\n\r\n");
    const size_t second = received.find("HTTP/1.1 404");
    ASSERT_NE(second, std::string::npos) << received;
    EXPECT_EQ(received.rfind("HTTP/1.1 200", 0), 0u) << received;
    EXPECT_NE(received.find("HTTP/1.1 200", second), std::string::npos) << received;
  }
  {
    // Without Content-Length a request has no body (httplib would read until the
    // client closes): it is answered at once.
    RawConnection c(server.port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Send("POST /get-online-features HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    std::string received;
    EXPECT_EQ(c.ReadUntil(std::chrono::seconds(20), &received, WholeResponse),
              RawConnection::kEnough)
        << received;
    EXPECT_EQ(received.rfind("HTTP/1.1 400", 0), 0u) << received;
    EXPECT_NE(received.find("not valid JSON"), std::string::npos) << received;
  }
  {
    // A streaming route counts a chunked body itself: an ingest sent as a stream.
    httplib::Client c("127.0.0.1", server.port());
    const std::string csv = "customer_id,event_timestamp,spend_7d,segment\n2," +
                            std::to_string(absl::ToUnixSeconds(absl::Now()) - 60) +
                            ",3,silver\n";
    bool sent = false;
    auto r = c.Post(
        "/v1/features/customer_stats/ingest",
        [&](size_t, httplib::DataSink& sink) {
          if (sent) {
            sink.done();
            return true;
          }
          sent = true;
          return sink.write(csv.data(), csv.size());
        },
        "text/csv");
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 200) << r->body;
  }
}

}  // namespace
}  // namespace strata::api
