#include "multirank/core/request.hpp"

#include <cstdio>
#include <exception>

#include "multirank/core/error.hpp"
#include "multirank/core/wait.hpp"

namespace multirank {

Request& Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    try {
      wait();
    } catch (...) {
    }
    requests_ = std::move(other.requests_);
    keep_ = std::move(other.keep_);
    other.requests_.clear();
  }
  return *this;
}

Request::~Request() {
  if (requests_.empty()) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  try {
    wait();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "multirank: a pending send failed: %s\n", e.what());
  }
}

bool Request::test() {
  if (requests_.empty()) return true;
  const bool flag = detail::test_requests(static_cast<int>(requests_.size()), requests_.data());
  if (flag) {
    requests_.clear();
    keep_.reset();
  }
  return flag;
}

void Request::wait() {
  wait_until([this] { return test(); });
}

bool Request::wait_for(std::chrono::duration<double> timeout) {
  return wait_until_for([this] { return test(); }, timeout);
}

void wait_all(std::vector<Request>& requests) {
  for (auto& r : requests) r.wait();
}

}  // namespace multirank
