// The server speaks TLS when given a certificate and key: a client that
// trusts the certificate ranks; a plaintext client is refused.
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "engine/common/file_util.h"
#include "engine/service/service_test_env.h"
#include "gtest/gtest.h"

namespace feedgov::service::testing {
namespace {

TEST(Tls, TrustedClientRanksAndPlaintextClientIsRefused) {
  const std::string dir = ::feedgov::testing::MakeTempDir("feedgov_tls");
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost -keyout ",
      key, " -out ", cert, " 2>/dev/null");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a cert";

  ServerOptions options;
  options.tls_cert_path = cert;
  options.tls_key_path = key;
  ServerEnv env(options);
  ASSERT_TRUE(env.status().ok()) << env.status();

  auto pem = ReadFile(cert);
  ASSERT_TRUE(pem.ok());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto secure = grpc::CreateCustomChannel(env.server().address(),
                                          grpc::SslCredentials(ssl), args);
  v1::RankResponse resp;
  grpc::Status s = v1::FeedService::NewStub(secure)->Rank(
      ServerEnv::Ctx("feed-service").get(), RankReq(1), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.items_size(), 10);

  // env.channel() is a plaintext channel: the TLS server does not answer it.
  auto ctx = ServerEnv::Ctx("feed-service");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  s = env.feed()->Rank(ctx.get(), RankReq(1), &resp);
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace feedgov::service::testing
