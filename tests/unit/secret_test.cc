#include "lakeflow/connections/secret.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace lakeflow {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    std::string tmpl = (fs::temp_directory_path() / "lakeflow_secret_XXXXXX").string();
    int fd = ::mkstemp(tmpl.data());
    EXPECT_GE(fd, 0);
    if (fd >= 0) ::close(fd);
    path_ = tmpl;
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(SecretReference, EnvResolvesToTheVariable) {
  ScopedEnv env("LAKEFLOW_TEST_SECRET_A", "s3cr3t-value");
  auto v = ResolveSecretReference("token", "env:LAKEFLOW_TEST_SECRET_A");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "s3cr3t-value");
}

TEST(SecretReference, MissingEnvNamesOptionAndVariableButNoValue) {
  ScopedEnv env("LAKEFLOW_TEST_SECRET_MISSING", nullptr);
  auto v = ResolveSecretReference("password", "env:LAKEFLOW_TEST_SECRET_MISSING");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = v.status().message();
  EXPECT_NE(m.find("'password'"), std::string::npos) << m;
  EXPECT_NE(m.find("LAKEFLOW_TEST_SECRET_MISSING"), std::string::npos) << m;
  EXPECT_EQ(m.find("env:"), std::string::npos) << m;
}

TEST(SecretReference, FileResolvesWithoutTrailingNewlines) {
  TempFile unix_file("file-secret\n");
  TempFile dos_file("dos-secret\r\n");
  TempFile inner("two\nlines");
  EXPECT_EQ(*ResolveSecretReference("key", "file:" + unix_file.path()), "file-secret");
  EXPECT_EQ(*ResolveSecretReference("key", "file:" + dos_file.path()), "dos-secret");
  EXPECT_EQ(*ResolveSecretReference("key", "file:" + inner.path()), "two\nlines");
}

TEST(SecretReference, UnreadableFileNamesOptionAndPath) {
  auto v = ResolveSecretReference("private_key", "file:/nonexistent/lakeflow/key.pem");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("'private_key'"), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("/nonexistent/lakeflow/key.pem"), std::string::npos);
}

TEST(SecretReference, LiteralPrefixKeepsTheRest) {
  ScopedEnv env("LAKEFLOW_TEST_SECRET_B", "should-not-be-used");
  EXPECT_EQ(*ResolveSecretReference("x", "literal:env:LAKEFLOW_TEST_SECRET_B"),
            "env:LAKEFLOW_TEST_SECRET_B");
  EXPECT_EQ(*ResolveSecretReference("x", "literal:file:/etc/hostname"), "file:/etc/hostname");
  EXPECT_EQ(*ResolveSecretReference("x", "literal:"), "");
}

TEST(SecretReference, PlainValuesPassUnchanged) {
  EXPECT_EQ(*ResolveSecretReference("x", "plain"), "plain");
  EXPECT_EQ(*ResolveSecretReference("x", "ENV:NOT_A_REFERENCE"), "ENV:NOT_A_REFERENCE");
  EXPECT_EQ(*ResolveSecretReference("x", ""), "");
}

TEST(SecretReference, IsSecretReference) {
  EXPECT_TRUE(IsSecretReference("env:X"));
  EXPECT_TRUE(IsSecretReference("file:/x"));
  EXPECT_FALSE(IsSecretReference("literal:env:X"));
  EXPECT_FALSE(IsSecretReference("environment"));
  EXPECT_FALSE(IsSecretReference("ghp_abc"));
}

TEST(Redactor, ScrubsEveryOccurrenceOfEverySecret) {
  Redactor r;
  EXPECT_TRUE(r.empty());
  r.Add("supersecret99");
  r.Add("hunter22");
  EXPECT_FALSE(r.empty());
  EXPECT_EQ(r.Apply("a supersecret99 b supersecret99supersecret99 c hunter22"),
            "a **** b ******** c ****");
  EXPECT_EQ(r.Apply("nothing to hide"), "nothing to hide");
}

TEST(Redactor, IgnoresVeryShortSecrets) {
  Redactor r;
  r.Add("abc");
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.Apply("abc abcd"), "abc abcd");
}

TEST(Redactor, ScrubsStatusMessagesKeepingTheCode) {
  Redactor r;
  r.Add("supersecret99");
  Status st = r.Apply(Status::SourceError("HTTP 401 for token=supersecret99"));
  EXPECT_EQ(st.code(), StatusCode::kSource);
  EXPECT_EQ(st.message(), "HTTP 401 for token=****");
  EXPECT_TRUE(r.Apply(Status::OK()).ok());
}

TEST(Redactor, ScrubsALongerSecretThatStartsWithAShorterOne) {
  Redactor r;
  r.Add("abcd1234");
  r.Add("abcd1234-tail-secret");
  EXPECT_EQ(r.Apply("x abcd1234-tail-secret y"), "x **** y");
}

TEST(ResolveOptions, ResolvesReferencesAndRedactsEverySecretKind) {
  ScopedEnv env("LAKEFLOW_TEST_SECRET_REF", "ref-value-44");
  Options options{{"token", "tok-literal-11"},
                  {"db_password", "pw-literal-22"},
                  {"custom_key", "custom-secret-33"},
                  {"endpoint", "env:LAKEFLOW_TEST_SECRET_REF"},
                  {"plain", "visible-55"},
                  {"quoted", "literal:env:visible-66"}};
  Redactor r;
  auto resolved = ResolveOptions(options, {"CUSTOM_KEY"}, &r);
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->Get("endpoint"), std::optional<std::string>("ref-value-44"));
  EXPECT_EQ(resolved->Get("quoted"), std::optional<std::string>("env:visible-66"));
  EXPECT_EQ(resolved->Get("token"), std::optional<std::string>("tok-literal-11"));
  EXPECT_EQ(resolved->size(), options.size());
  EXPECT_EQ(
      r.Apply(
          "tok-literal-11 pw-literal-22 custom-secret-33 ref-value-44 visible-55 env:visible-66"),
      "**** **** **** **** visible-55 env:visible-66");
}

TEST(ResolveOptions, MissingReferenceFailsNamingTheOptionOnly) {
  ScopedEnv env("LAKEFLOW_TEST_SECRET_GONE", nullptr);
  Options options{{"token", "tok-literal-11"}, {"client_secret", "env:LAKEFLOW_TEST_SECRET_GONE"}};
  Redactor r;
  auto resolved = ResolveOptions(options, {}, &r);
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(resolved.status().message().find("'client_secret'"), std::string::npos);
  EXPECT_EQ(resolved.status().message().find("tok-literal-11"), std::string::npos);
}

TEST(ResolveOptions, WorksWithoutARedactor) {
  auto resolved = ResolveOptions(Options{{"token", "abcdef"}}, {}, nullptr);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->Get("token"), std::optional<std::string>("abcdef"));
}

}  // namespace
}  // namespace lakeflow

namespace lakeflow {
namespace {

TEST(Redactor, ScrubsEncodedForms) {
  Redactor r;
  r.Add("p@ss/w\"rd+key");
  EXPECT_EQ(r.Apply("url ?k=p%40ss%2Fw%22rd%2Bkey end"), "url ?k=**** end");
  EXPECT_EQ(r.Apply("lower p%40ss%2fw%22rd%2bkey"), "lower ****");
  EXPECT_EQ(r.Apply(R"(json {"k":"p@ss/w\"rd+key"})"), R"(json {"k":"****"})");
  EXPECT_TRUE(r.Finds("cEBzcy93InJkK2tleQ=="));  // base64 of the secret
  EXPECT_FALSE(r.Finds("nothing here"));
}

}  // namespace
}  // namespace lakeflow
