// The Prometheus exposition: counters by operation/method/status, cumulative latency buckets,
// token errors by code, gauges sampled at scrape time, escaped label values.
#include "smime/server/metrics.hpp"

#include <gtest/gtest.h>

namespace smime::test {
namespace {

using namespace std::chrono_literals;
using server::Metrics;
using server::RequestRecord;

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(MetricsTest, CountsRequestsByOperationMethodAndStatus) {
  Metrics m;
  m.observe({"processOutgoing", "POST", 200, 3ms, std::nullopt});
  m.observe({"processOutgoing", "POST", 200, 4ms, std::nullopt});
  m.observe({"processOutgoing", "POST", 422, 1ms, ErrorCode::no_certificate});
  m.observe({"", "GET", 404, 0ms, ErrorCode::not_found});
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# TYPE smimed_requests_total counter"));
  EXPECT_TRUE(has_line(
      text, R"(smimed_requests_total{operation="processOutgoing",method="POST",status="200"} 2)"));
  EXPECT_TRUE(has_line(
      text, R"(smimed_requests_total{operation="processOutgoing",method="POST",status="422"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(smimed_requests_total{operation="unmatched",method="GET",status="404"} 1)"))
      << text;
}

TEST(MetricsTest, LatencyHistogramIsCumulative) {
  Metrics m;
  m.observe({"sign", "POST", 200, 500us, std::nullopt});   // <= 0.001
  m.observe({"sign", "POST", 200, 20ms, std::nullopt});    // <= 0.025
  m.observe({"sign", "POST", 200, 20s, std::nullopt});     // only +Inf
  m.observe({"sign", "POST", 200, 1000ms, std::nullopt});  // exactly on the 1.0 bound
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# TYPE smimed_request_duration_seconds histogram"));
  EXPECT_TRUE(
      has_line(text, R"(smimed_request_duration_seconds_bucket{operation="sign",le="0.001"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(smimed_request_duration_seconds_bucket{operation="sign",le="0.01"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(smimed_request_duration_seconds_bucket{operation="sign",le="0.025"} 2)"));
  EXPECT_TRUE(
      has_line(text, R"(smimed_request_duration_seconds_bucket{operation="sign",le="1"} 3)"));
  EXPECT_TRUE(
      has_line(text, R"(smimed_request_duration_seconds_bucket{operation="sign",le="10"} 3)"));
  EXPECT_TRUE(
      has_line(text, R"(smimed_request_duration_seconds_bucket{operation="sign",le="+Inf"} 4)"));
  EXPECT_TRUE(has_line(text, R"(smimed_request_duration_seconds_count{operation="sign"} 4)"));
  EXPECT_NE(text.find(R"(smimed_request_duration_seconds_sum{operation="sign"} 21.02)"),
            std::string::npos)
      << text;
}

TEST(MetricsTest, TokenErrorsAreCountedByCodeOthersAreNot) {
  Metrics m;
  m.observe({"processOutgoing", "POST", 503, 1ms, ErrorCode::pin_locked});
  m.observe({"processOutgoing", "POST", 503, 1ms, ErrorCode::pin_locked});
  m.observe({"getTokenStatus", "GET", 503, 1ms, ErrorCode::token_failure});
  m.observe({"importCertificates", "POST", 400, 1ms, ErrorCode::invalid_input});
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, R"(smimed_token_errors_total{code="pin_locked"} 2)"));
  EXPECT_TRUE(has_line(text, R"(smimed_token_errors_total{code="token_failure"} 1)"));
  EXPECT_EQ(text.find(R"(code="invalid_input")"), std::string::npos);
  EXPECT_TRUE(is_token_error(ErrorCode::module_load));
  EXPECT_FALSE(is_token_error(ErrorCode::crypto));
}

TEST(MetricsTest, GaugesAreSampledAtScrapeTimeAndFailingOnesLeftOut) {
  Metrics m;
  int depth = 3;
  m.add_gauge("audit_queue_depth", "Audit entries waiting.", [&] { return double(depth); });
  m.add_gauge("broken", "Throws.", []() -> double { throw std::runtime_error("no"); });
  EXPECT_TRUE(has_line(m.render(), "smimed_audit_queue_depth 3"));
  depth = 0;
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# TYPE smimed_audit_queue_depth gauge"));
  EXPECT_TRUE(has_line(text, "smimed_audit_queue_depth 0"));
  EXPECT_EQ(text.find("smimed_broken"), std::string::npos);
}

TEST(MetricsTest, CountersKeptElsewhereAreSampledWithTheirLabels) {
  Metrics m;
  double failed = 1;
  m.add_counter("revocation_fetches_total", "Fetches.", [&] {
    return Metrics::Series{{"kind=\"crl\",result=\"failed\"", failed}};
  });
  EXPECT_TRUE(
      has_line(m.render(), R"(smimed_revocation_fetches_total{kind="crl",result="failed"} 1)"));
  failed = 2;
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# TYPE smimed_revocation_fetches_total counter"));
  EXPECT_TRUE(has_line(text, R"(smimed_revocation_fetches_total{kind="crl",result="failed"} 2)"));
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics m;
  m.observe({"op\"x\\y\nz", "GET", 200, 1ms, std::nullopt});
  EXPECT_NE(m.render().find(R"(operation="op\"x\\y\nz")"), std::string::npos) << m.render();
}

}  // namespace
}  // namespace smime::test
