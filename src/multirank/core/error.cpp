#include "multirank/core/error.hpp"

namespace multirank {
namespace {
std::string describe(const std::string& routine, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) len = 0;
  return routine + " failed with code " + std::to_string(code) + ": " + std::string(text, static_cast<size_t>(len));
}
}  // namespace

MpiError::MpiError(std::string routine, int code)
    : Error(describe(routine, code)), routine_(std::move(routine)), code_(code) {}

}  // namespace multirank
