#include "volume/upload_reporter.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "catch2/catch.hpp"

namespace warehouse::volume {
namespace {

v1::UploadReport Report(int i) {
  v1::UploadReport report;
  report.set_upload_id(std::to_string(i));
  return report;
}

TEST_CASE("concurrent upload reports share round trips", "[volume][server]") {
  std::atomic<int> reports{0};
  absl::Notification first_batch_started;
  absl::Notification release_first_batch;
  std::atomic<int> batch_number{0};
  UploadReporter reporter([&](const std::vector<v1::UploadReport>& batch) {
    if (batch_number++ == 0) {
      first_batch_started.Notify();
      release_first_batch.WaitForNotification();
    }
    reports += batch.size();
    std::vector<absl::Status> results;
    for (const auto& report : batch) {
      // Odd upload ids are refused, to check results go to their callers.
      int id = std::stoi(report.upload_id());
      results.push_back(id % 2 ? absl::NotFoundError(report.upload_id())
                               : absl::OkStatus());
    }
    return absl::StatusOr<std::vector<absl::Status>>(results);
  });
  // Catch2 v2's assertions are not thread-safe: the threads record what
  // they saw, and the checks run on this thread after join().
  absl::Status first_status;
  std::thread first([&] { first_status = reporter.Report(Report(0)); });
  first_batch_started.WaitForNotification();
  // While the first round trip is out, 16 more reports queue up.
  std::vector<std::thread> threads;
  std::vector<absl::Status> statuses(17);
  for (int i = 1; i <= 16; ++i) {
    threads.emplace_back([&, i] { statuses[i] = reporter.Report(Report(i)); });
  }
  // Give them a moment to queue, then release the first batch. (Not a
  // timing assertion: any two of them sharing a batch passes.)
  absl::SleepFor(absl::Milliseconds(100));
  release_first_batch.Notify();
  first.join();
  for (auto& t : threads) t.join();
  CHECK(first_status.ok());
  int ok = 0, not_found = 0;
  for (int i = 1; i <= 16; ++i) {
    INFO("upload " << i << ": " << statuses[i]);
    if (statuses[i].ok()) ++ok;
    if (absl::IsNotFound(statuses[i])) {
      CHECK(statuses[i].message() == std::to_string(i));
      ++not_found;
    }
  }
  CHECK(reports == 17);
  CHECK(ok == 8);
  CHECK(not_found == 8);
  CHECK(reporter.batches_sent() < 17);
}

TEST_CASE("the lead passes from caller to caller until every report is answered",
          "[volume][server]") {
  // At most two reports a round trip: the 16 queued behind the first take
  // at least eight more, each sent by the caller the last leader handed the
  // lead to.
  absl::Notification first_batch_started;
  absl::Notification release_first_batch;
  std::atomic<int> batch_number{0};
  std::atomic<int> reports{0};
  auto reporter = std::make_unique<UploadReporter>(
      [&](const std::vector<v1::UploadReport>& batch) {
        if (batch_number++ == 0) {
          first_batch_started.Notify();
          release_first_batch.WaitForNotification();
        }
        reports += batch.size();
        return absl::StatusOr<std::vector<absl::Status>>(
            std::vector<absl::Status>(batch.size()));
      },
      /*max_batch=*/2);
  absl::Status first_status;
  std::thread first([&] { first_status = reporter->Report(Report(0)); });
  first_batch_started.WaitForNotification();
  std::vector<std::thread> threads;
  std::vector<absl::Status> statuses(17);
  for (int i = 1; i <= 16; ++i) {
    threads.emplace_back([&, i] { statuses[i] = reporter->Report(Report(i)); });
  }
  absl::SleepFor(absl::Milliseconds(100));
  release_first_batch.Notify();
  first.join();
  for (auto& t : threads) t.join();
  CHECK(first_status.ok());
  for (int i = 1; i <= 16; ++i) {
    INFO("upload " << i << ": " << statuses[i]);
    CHECK(statuses[i].ok());
  }
  CHECK(reports == 17);
  CHECK(reporter->batches_sent() >= 9);

  // No caller was left holding the lead: a report sent afterwards goes out.
  absl::Notification later_answered;
  absl::Status later_status;
  std::thread later([&] {
    later_status = reporter->Report(Report(17));
    later_answered.Notify();
  });
  if (!later_answered.WaitForNotificationWithTimeout(absl::Seconds(10))) {
    // The thread is stuck inside the reporter: leave both behind.
    later.detach();
    (void)reporter.release();
    FAIL("a report sent after the others was not answered in 10 s");
  }
  later.join();
  CHECK(later_status.ok());
  CHECK(reports == 18);
}

TEST_CASE("a failed round trip fails every report in it", "[volume][server]") {
  UploadReporter reporter([](const std::vector<v1::UploadReport>&) {
    return absl::StatusOr<std::vector<absl::Status>>(
        absl::UnavailableError("master down"));
  });
  CHECK(absl::IsUnavailable(reporter.Report(Report(1))));
  UploadReporter short_answer([](const std::vector<v1::UploadReport>&) {
    return absl::StatusOr<std::vector<absl::Status>>(std::vector<absl::Status>{});
  });
  CHECK(short_answer.Report(Report(1)).code() == absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace warehouse::volume
