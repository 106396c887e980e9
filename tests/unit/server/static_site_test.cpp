// The admin UI's static files: served from the web root with the security headers, and no
// request (plain, encoded, double-encoded, backslash, hidden file, symlink) leaves the root.
#include "smime/server/static_site.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/softhsm_fixture.hpp"

namespace smime::test {
namespace {

using server::Request;
using server::Response;
using server::StaticSite;

class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = scratch_.path() / "web";
    std::filesystem::create_directories(root_ / "js");
    write(root_ / "index.html", "<!doctype html><title>smimed</title>");
    write(root_ / "js" / "app.js", "export const x = 1;");
    write(root_ / ".secret", "hidden");
    write(scratch_.path() / "outside.txt", "SECRET OUTSIDE");
    std::filesystem::create_symlink(scratch_.path() / "outside.txt", root_ / "link.txt");
    site_ = std::make_unique<StaticSite>(root_);
  }

  static void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  std::optional<Response> get(const std::string& target, const std::string& method = "GET") {
    Request r;
    r.method = method;
    r.target = target;
    return site_->serve(r);
  }

  static std::string header(const Response& r, const std::string& name) {
    auto v = r.headers.get(name);
    return v ? std::string(*v) : std::string();
  }

  TempDir scratch_;
  std::filesystem::path root_;
  std::unique_ptr<StaticSite> site_;
};

TEST_F(StaticSiteTest, ServesIndexAndFilesWithTypesAndSecurityHeaders) {
  auto index = get("/admin/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index->body, "<!doctype html><title>smimed</title>");
  const std::string csp = header(*index, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("style-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(header(*index, "X-Content-Type-Options"), "nosniff");

  auto js = get("/admin/js/app.js?v=2");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");

  auto head = get("/admin/js/app.js", "HEAD");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  // The same answer as GET: the connection writes its Content-Length and leaves the body out.
  EXPECT_EQ(head->body, get("/admin/js/app.js")->body);
}

TEST_F(StaticSiteTest, OtherPathsAreLeftToTheApi) {
  EXPECT_FALSE(get("/api/v1/token"));
  EXPECT_FALSE(get("/administration"));
  EXPECT_FALSE(get("/healthz"));
}

TEST_F(StaticSiteTest, BarePrefixRedirectsAndWritesAreRefused) {
  auto bare = get("/admin");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 301);
  EXPECT_EQ(header(*bare, "Location"), "/admin/");
  auto post = get("/admin/index.html", "POST");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(header(*post, "Allow"), "GET, HEAD");
}

TEST_F(StaticSiteTest, TraversalInEveryEncodingIsRefused) {
  for (const std::string target :
       {"/admin/../outside.txt", "/admin/js/../../outside.txt", "/admin/%2e%2e/outside.txt",
        "/admin/%2E%2E%2Foutside.txt", "/admin%2f..%2foutside.txt", "/admin/..%5coutside.txt",
        "/admin/.%2e/outside.txt", "/admin/./index.html", "/admin//etc/passwd", "/admin/js//app.js",
        "/admin/..", "/admin/%00index.html", "/admin/%zz"}) {
    auto r = get(target);
    ASSERT_TRUE(r) << target;
    EXPECT_TRUE(r->status == 400 || r->status == 404) << target << " -> " << r->status;
    EXPECT_EQ(r->body.find("SECRET"), std::string::npos) << target;
    EXPECT_FALSE(header(*r, "Content-Security-Policy").empty()) << target;
  }
}

TEST_F(StaticSiteTest, HiddenFilesSymlinksOutAndMissingFilesAre404) {
  for (const std::string target :
       {"/admin/.secret", "/admin/%2esecret", "/admin/link.txt", "/admin/nope.js", "/admin/js",
        "/admin/%252e%252e/outside.txt"}) {
    auto r = get(target);
    ASSERT_TRUE(r) << target;
    EXPECT_TRUE(r->status == 400 || r->status == 404) << target << " -> " << r->status;
    EXPECT_EQ(r->body.find("SECRET"), std::string::npos) << target;
    EXPECT_EQ(r->body.find("hidden"), std::string::npos) << target;
  }
}

TEST_F(StaticSiteTest, MissingRootDisablesTheUi) {
  StaticSite off(scratch_.path() / "no-such-dir");
  Request r;
  r.method = "GET";
  r.target = "/admin/";
  auto answer = off.serve(r);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 404);
}

}  // namespace
}  // namespace smime::test
