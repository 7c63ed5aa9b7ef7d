// Page ids to tickets, and a snapshot through the codec and back (what the
// feed decodes is what the owning instance encoded).
#include <gtest/gtest.h>

#include "sla/codec/codec.hpp"
#include "sla/views/json.hpp"

namespace {

TEST(TicketOfPage, PageIdsAndLadderKeys) {
  EXPECT_EQ(sla::views::ticket_of_page("T-1/response/0/page/s1/ops/0/0").value(), "T-1");
  EXPECT_EQ(sla::views::ticket_of_page("T-1/resolution/2/page/s1/ops").value(), "T-1");
  // Ticket ids may hold slashes and even "/page/".
  EXPECT_EQ(sla::views::ticket_of_page("a/b/page/c/response/0/page/s1/ops/1/3").value(), "a/b/page/c");
  for (const char* bad : {"", "T-1", "T-1/response/0/page/s1", "T-1/speed/0/page/s1/ops", "T-1/response/x/page/s/o",
                          "/response/0/page/s/o", "T-1/response/0/page/s1/ops/0/x", "T-1/response/0/page/s/o/0"}) {
    EXPECT_FALSE(sla::views::ticket_of_page(bad)) << bad;
  }
}

TEST(DeadlinesSnapshot, RoundTripsThroughTheCodec) {
  sla::engine::TicketView v;
  v.ticket_id = "T-9";
  v.tenant_id = "acme";
  v.plan = "enterprise";
  v.severity = "P1";
  v.status = "waiting";
  v.opened = true;
  v.opened_at = 1000;
  v.next_due = 9000;
  sla::engine::ClockView c;
  c.metric = sla::engine::MetricKind::kResolution;
  c.cycle = 2;
  c.state = sla::engine::ClockState::kPaused;
  c.pause_reason = sla::engine::PauseReason::kStatus;
  c.pause_status = "waiting";
  c.elapsed_ms = 1234;
  c.target_ms = 3'600'000;
  c.calendar = "business";
  c.fired = {"warning/75%"};
  v.clocks.push_back(c);
  v.history.push_back({sla::engine::MetricKind::kResponse, 0, 1000, 2000, 1000, "met"});
  auto& lp = v.pages.emplace_back();
  lp.key = "T-9/response/0/page/s/ops";
  lp.target = "ops";
  lp.pages_sent = 1;
  lp.pages_total = 3;
  lp.next_page_at = 5000;
  lp.metric = sla::engine::MetricKind::kResolution;
  lp.cycle = 2;
  lp.state = "paging";
  lp.level = 1;
  lp.attempt = 0;
  lp.rotation = "primary";
  lp.responder = "ana";
  lp.last_page_at = 4000;
  lp.ack_deadline = 5000;
  lp.acked_at = 4500;
  lp.acked_by = "ana";
  v.clocks.back().started_at = 900;
  auto d = sla::codec::decode_deadlines(sla::codec::encode_deadlines(v, 4242));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->as_of, 4242);
  EXPECT_EQ(d->view.tenant_id, "acme");
  EXPECT_EQ(d->view.status, "waiting");
  EXPECT_EQ(d->view.opened_at, 1000);
  EXPECT_EQ(d->view.next_due, 9000);
  ASSERT_EQ(d->view.clocks.size(), 1u);
  const auto& dc = d->view.clocks[0];
  EXPECT_EQ(dc.metric, sla::engine::MetricKind::kResolution);
  EXPECT_EQ(dc.cycle, 2u);
  EXPECT_EQ(dc.state, sla::engine::ClockState::kPaused);
  EXPECT_EQ(dc.pause_reason, sla::engine::PauseReason::kStatus);
  EXPECT_EQ(dc.pause_status, "waiting");
  EXPECT_EQ(dc.elapsed_ms, 1234);
  EXPECT_EQ(dc.target_ms, 3'600'000);
  EXPECT_FALSE(dc.deadline);
  EXPECT_EQ(dc.fired, std::vector<std::string>{"warning/75%"});
  ASSERT_EQ(d->view.history.size(), 1u);
  EXPECT_EQ(d->view.history[0].outcome, "met");
  EXPECT_EQ(d->view.history[0].ended_at, 2000);
  ASSERT_EQ(d->view.pages.size(), 1u);
  EXPECT_EQ(d->view.pages[0].next_page_at, 5000);
  EXPECT_EQ(d->view.pages[0].pages_total, 3u);
  const auto& dp = d->view.pages[0];
  EXPECT_EQ(dp.metric, sla::engine::MetricKind::kResolution);
  EXPECT_EQ(dp.cycle, 2u);
  EXPECT_EQ(dp.state, "paging");
  EXPECT_EQ(dp.level, 1u);
  EXPECT_EQ(dp.rotation, "primary");
  EXPECT_EQ(dp.responder, "ana");
  EXPECT_EQ(dp.last_page_at, 4000);
  EXPECT_EQ(dp.ack_deadline, 5000);
  EXPECT_EQ(dp.acked_at, 4500);
  EXPECT_EQ(dp.acked_by, "ana");
  EXPECT_EQ(d->view.clocks[0].started_at, 900);
  EXPECT_FALSE(sla::codec::decode_deadlines("\xff\xff garbage"));
}

}  // namespace
