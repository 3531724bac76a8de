#include "api/bulk.h"

#include <atomic>
#include <map>
#include <memory>

#include "core/json.h"
#include "core/schema.h"

namespace scim::api {
namespace {

using core::Json;


class BulkRun : public std::enable_shared_from_this<BulkRun> {
 public:
  BulkRun(core::BulkRequest request, std::string base_url, BulkDispatcher dispatch,
          std::function<void(std::string)> done)
      : request_(std::move(request)),
        base_url_(std::move(base_url)),
        dispatch_(std::move(dispatch)),
        done_(std::move(done)),
        done_ops_(request_.operations.size(), false),
        dispatched_paths_(request_.operations.size()) {}

  // Runs operations until one answers later (its completion resumes here) or none is left.
  // Operations that answer at once loop here instead of recursing, so a thousand failing
  // operations do not grow the stack.
  void Resume() {
    while (true) {
      std::optional<size_t> next = NextRunnable();
      if (!next) return Finish();
      auto self = shared_from_this();
      size_t index = *next;
      BulkDispatch operation = MakeDispatch(index);
      dispatched_paths_[index] = operation.path;
      in_dispatch_.store(true);
      dispatch_(std::move(operation), [self, index](http::Response response) {
        self->Record(index, response);
        // Still inside dispatch_ (the operation answered at once): the loop below goes on.
        if (!self->in_dispatch_.exchange(false)) self->Resume();
      });
      if (in_dispatch_.exchange(false)) return;  // answers later; its completion resumes
    }
  }

 private:
  // The first operation in request order that has not run and whose references are all created;
  // operations whose references can never be created fail here, without running.
  std::optional<size_t> NextRunnable() {
    if (request_.fail_on_errors && errors_ >= *request_.fail_on_errors) return std::nullopt;
    bool waiting = false;
    for (size_t i = 0; i < done_ops_.size(); ++i) {
      if (done_ops_[i]) continue;
      switch (Readiness(i)) {
        case Ready::kYes: return i;
        case Ready::kNever:
          FailWithoutRunning(i, "it refers to a bulkId whose operation failed");
          if (request_.fail_on_errors && errors_ >= *request_.fail_on_errors) return std::nullopt;
          break;
        case Ready::kWaiting: waiting = true; break;
      }
    }
    if (!waiting) return std::nullopt;
    // Everything left waits on something left: the references form a cycle.
    for (size_t i = 0; i < done_ops_.size(); ++i) {
      if (!done_ops_[i]) {
        FailWithoutRunning(i, "its bulkId references form a cycle; create the resources first, then PATCH them to refer to each other");
        if (request_.fail_on_errors && errors_ >= *request_.fail_on_errors) break;
      }
    }
    return std::nullopt;
  }

  enum class Ready { kYes, kWaiting, kNever };
  Ready Readiness(size_t index) const {
    Ready ready = Ready::kYes;
    for (const auto& ref : request_.operations[index].references) {
      if (created_ids_.count(ref)) continue;
      size_t target = bulk_index_.at(ref);
      if (done_ops_[target]) return Ready::kNever;  // done without an id: it failed
      ready = Ready::kWaiting;
    }
    return ready;
  }

  BulkDispatch MakeDispatch(size_t index) const {
    const core::BulkOperation& op = request_.operations[index];
    BulkDispatch dispatch;
    dispatch.method = op.method;
    size_t slash = op.path.rfind('/');
    dispatch.path = op.path.substr(0, slash + 1) + core::ResolveBulkReference(op.path.substr(slash + 1), created_ids_);
    if (op.data) {
      Json data = *op.data;
      core::ResolveBulkReferences(data, created_ids_);
      dispatch.body = core::DumpJson(data);
    }
    dispatch.if_match = op.version;
    return dispatch;
  }

  void Record(size_t index, const http::Response& response) {
    const core::BulkOperation& op = request_.operations[index];
    const std::string& path = dispatched_paths_[index];
    Json result = Entry(index);
    bool ok = response.status < 400;
    auto body = core::ParseJson(response.body);  // empty for 204
    for (const auto& [name, value] : response.headers) {
      if (core::IEquals(name, "Location")) result["location"] = value;
      if (core::IEquals(name, "ETag")) result["version"] = value;
    }
    if (ok && !result.contains("location") && op.method != "POST") result["location"] = base_url_ + path;
    result["status"] = std::to_string(response.status);
    if (ok && op.bulk_id) {
      // The id later operations refer to: the one created, or the one this operation addressed.
      const Json* id = body ? core::FindMember(*body, "id") : nullptr;
      created_ids_[*op.bulk_id] = id && id->is_string() ? id->get<std::string>() : path.substr(path.rfind('/') + 1);
    }
    if (!ok) {
      if (body) result["response"] = std::move(*body);
      ++errors_;
    }
    done_ops_[index] = true;
    results_.push_back(std::move(result));
  }

  void FailWithoutRunning(size_t index, const std::string& why) {
    Json result = Entry(index);
    result["status"] = "409";
    result["response"] = {{"schemas", {core::kErrorSchema}},
                          {"status", "409"},
                          {"detail", "Operations[" + std::to_string(index) + "] did not run: " + why}};
    ++errors_;
    done_ops_[index] = true;
    results_.push_back(std::move(result));
  }

  Json Entry(size_t index) const {
    const core::BulkOperation& op = request_.operations[index];
    Json entry = {{"method", op.method}};
    if (op.bulk_id) entry["bulkId"] = *op.bulk_id;
    return entry;
  }

  void Finish() {
    Json response = {{"schemas", {core::kBulkResponseSchema}}, {"Operations", std::move(results_)}};
    done_(core::DumpJson(response));
  }

  // Constant after construction.
  const core::BulkRequest request_;
  const std::string base_url_;
  const BulkDispatcher dispatch_;
  const std::function<void(std::string)> done_;
  std::map<std::string, size_t> bulk_index_ = [this] {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < request_.operations.size(); ++i) {
      if (request_.operations[i].bulk_id) index[*request_.operations[i].bulk_id] = i;
    }
    return index;
  }();

  // Touched by one operation's completion at a time (operations run one after another; the
  // atomic hands the state from the dispatching thread to the completing one).
  std::atomic<bool> in_dispatch_{false};
  std::vector<bool> done_ops_;
  std::vector<std::string> dispatched_paths_;       // each operation's path, references resolved
  std::map<std::string, std::string> created_ids_;  // bulkId -> the id its operation created
  std::vector<Json> results_;
  int64_t errors_ = 0;
};

}  // namespace

void RunBulk(core::BulkRequest request, std::string base_url, BulkDispatcher dispatch,
             std::function<void(std::string)> done) {
  std::make_shared<BulkRun>(std::move(request), std::move(base_url), std::move(dispatch), std::move(done))->Resume();
}

}  // namespace scim::api
