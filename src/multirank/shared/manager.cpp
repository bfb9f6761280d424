#include "multirank/shared/manager.hpp"

#include <atomic>
#include <cstdio>
#include <exception>
#include <thread>

#include "multirank/core/same_arguments.hpp"

namespace multirank {
namespace {
// On the manager's own duplicate of the communicator, which no other traffic shares.
enum ManagerTag : int { kRequestTag = 1, kReplyTag = 2 };
}  // namespace

namespace detail {

void check_entry_type(const ManagedEntry& e, const std::string& expected_type, const std::string& what) {
  if (e.type != expected_type)
    throw UsageError("Manager: " + what + " holds a " + e.type + ", not a " + expected_type);
}

ManagerReply ManagerStore::apply(const ManagerRequest& request) {
  std::lock_guard<std::mutex> hold(mutex_);
  ManagerReply reply;
  switch (request.op) {
    case ManagerRequest::get: {
      auto it = dict_.find(request.key);
      reply.ok = it != dict_.end();
      if (reply.ok) reply.entry = it->second;
      break;
    }
    case ManagerRequest::set: {
      ManagedEntry e = request.entry;
      e.version = ++version_;
      dict_[request.key] = std::move(e);
      reply.ok = true;
      break;
    }
    case ManagerRequest::compare_set: {
      auto it = dict_.find(request.key);
      const std::uint64_t current = it == dict_.end() ? 0 : it->second.version;
      if (current == request.expected) {
        ManagedEntry e = request.entry;
        e.version = ++version_;
        dict_[request.key] = std::move(e);
        reply.ok = true;
      }
      break;
    }
    case ManagerRequest::erase:
      reply.ok = dict_.erase(request.key) > 0;
      break;
    case ManagerRequest::items:
      reply.items.assign(dict_.begin(), dict_.end());
      reply.ok = true;
      break;
    case ManagerRequest::size:
      reply.number = dict_.size();
      reply.ok = true;
      break;
    case ManagerRequest::append:
      reply.number = list_.size();
      list_.push_back(request.entry);
      reply.ok = true;
      break;
    case ManagerRequest::list:
      for (const auto& e : list_) reply.items.emplace_back(std::string(), e);
      reply.ok = true;
      break;
    case ManagerRequest::list_size:
      reply.number = list_.size();
      reply.ok = true;
      break;
    default:
      throw ProtocolError("Manager: unknown request " + std::to_string(request.op));
  }
  return reply;
}

}  // namespace detail

struct Manager::Service {
  std::atomic<bool> stop{false};
  std::thread thread;
};

Manager::Manager(const Communicator& comm, int host) : comm_(comm.dup()), host_(host) {
  ArgumentDigest digest;
  digest.add(host);
  require_same_arguments(comm_, digest, "Manager: the ranks were given different hosts");
  comm_.check_rank(host);
  if (comm_.rank() == host_) {
    store_ = std::make_unique<detail::ManagerStore>();
    service_ = std::make_unique<Service>();
    service_->thread = std::thread([this] { serve(); });
  }
  comm_.barrier();  // the service is up before anyone asks
}

Manager::~Manager() {
  if (closed_) return;
  if (std::uncaught_exceptions() > 0) {
    // Unwinding: the other ranks may never reach close(); stop the local thread only.
    if (service_) {
      service_->stop = true;
      if (service_->thread.joinable()) service_->thread.join();
    }
    return;
  }
  try {
    close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "multirank: closing a Manager failed: %s\n", e.what());
  }
}

void Manager::close() {
  if (closed_) return;
  // Every request is answered before its caller returns, so once all ranks passed this barrier
  // no request is in flight and the service can stop without losing one.
  comm_.barrier();
  if (service_) {
    service_->stop = true;
    service_->thread.join();
  }
  closed_ = true;
}

void Manager::serve() {
  Backoff idle;
  while (!service_->stop.load(std::memory_order_relaxed)) {
    const auto st = comm_.iprobe(MPI_ANY_SOURCE, kRequestTag);
    if (!st) {
      idle.pause();
      continue;
    }
    idle.reset();
    const auto request = comm_.recv<detail::ManagerRequest>(st->source, kRequestTag);
    comm_.send(st->source, kReplyTag, store_->apply(request));
  }
}

detail::ManagerReply Manager::call(const detail::ManagerRequest& request) {
  if (closed_) throw UsageError("Manager: used after close()");
  if (store_) return store_->apply(request);
  std::lock_guard<std::mutex> one_at_a_time(client_mutex_);
  comm_.send(host_, kRequestTag, request);
  return comm_.recv<detail::ManagerReply>(host_, kReplyTag);
}

bool Manager::erase(const std::string& key) { return call({detail::ManagerRequest::erase, key, {}, 0}).ok; }

bool Manager::contains(const std::string& key) { return call({detail::ManagerRequest::get, key, {}, 0}).ok; }

std::size_t Manager::size() {
  return static_cast<std::size_t>(call({detail::ManagerRequest::size, {}, {}, 0}).number);
}

std::vector<std::string> Manager::keys() {
  const auto reply = call({detail::ManagerRequest::items, {}, {}, 0});
  std::vector<std::string> out;
  out.reserve(reply.items.size());
  for (const auto& [k, e] : reply.items) out.push_back(k);
  return out;
}

std::size_t Manager::list_size() {
  return static_cast<std::size_t>(call({detail::ManagerRequest::list_size, {}, {}, 0}).number);
}

}  // namespace multirank
