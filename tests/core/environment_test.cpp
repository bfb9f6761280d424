// The environment's settings of MPI itself, read back through MPI's tool interface (MPI_T).
#include <gtest/gtest.h>
#include <dlfcn.h>
#include <mpi.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "multirank/core/environment.hpp"

#ifdef OPEN_MPI
namespace {

/// The current value of Open MPI's boolean control variable `cvar`, if MPI_T knows it.
std::optional<bool> read_bool_cvar(const char* cvar) {
  int provided = 0;
  if (MPI_T_init_thread(MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS) return std::nullopt;
  std::optional<bool> value;
  int index = -1;
  if (MPI_T_cvar_get_index(cvar, &index) == MPI_SUCCESS) {
    char name[256];
    int name_len = sizeof name;
    char desc[1024];
    int desc_len = sizeof desc;
    int verbosity = 0, bind = 0, scope = 0;
    MPI_Datatype type = MPI_DATATYPE_NULL;
    MPI_T_enum enumtype;
    MPI_T_cvar_handle handle;
    int count = 0;
    if (MPI_T_cvar_get_info(index, name, &name_len, &verbosity, &type, &enumtype, desc, &desc_len, &bind, &scope) ==
            MPI_SUCCESS &&
        MPI_T_cvar_handle_alloc(index, nullptr, &handle, &count) == MPI_SUCCESS) {
      // Open MPI stores a bool in one byte (MPI_C_BOOL); read into room for any scalar.
      alignas(8) unsigned char raw[16] = {};
      if (count == 1 && MPI_T_cvar_read(handle, raw) == MPI_SUCCESS) {
        if (type == MPI_INT) {
          int v = 0;
          std::memcpy(&v, raw, sizeof v);
          value = v != 0;
        } else {
          value = raw[0] != 0;
        }
      }
      MPI_T_cvar_handle_free(&handle);
    }
  }
  MPI_T_finalize();
  return value;
}

}  // namespace

TEST(Environment, OpenMpiYieldWhenIdleIsOffUnlessTheUserSetIt) {
  const auto value = read_bool_cvar("mpi_yield_when_idle");
  ASSERT_TRUE(value.has_value()) << "MPI_T does not know mpi_yield_when_idle";
  // The test runner sets nothing, so multirank chose; mpirun --mca (an environment variable)
  // would have been respected.
  const char* user = std::getenv("MULTIRANK_TEST_USER_YIELD");
  if (user == nullptr) {
    EXPECT_TRUE(multirank::Environment::mpi_yield_turned_off());
    EXPECT_FALSE(*value);
    // And the switch Open MPI's progress loop reads (the variable above only feeds it at init).
    if (const auto* yielding = static_cast<const bool*>(::dlsym(RTLD_DEFAULT, "opal_progress_yield_when_idle"))) {
      EXPECT_FALSE(*yielding);
    }
  } else {
    EXPECT_FALSE(multirank::Environment::mpi_yield_turned_off());
    EXPECT_EQ(*value, std::atoi(user) != 0);
  }
}

// Inside a BlockingMpiScope, Open MPI's progress loop yields again where its default would (more
// ranks than cores), and stops once the last scope ends. Read from Open MPI's own switch.
TEST(Environment, BlockingMpiScopeLetsOpenMpiYieldOnAnOversubscribedNode) {
  const auto* yielding = static_cast<const bool*>(::dlsym(RTLD_DEFAULT, "opal_progress_yield_when_idle"));
  if (yielding == nullptr) GTEST_SKIP() << "this Open MPI does not export its yield switch";
  if (!multirank::Environment::mpi_yield_turned_off()) GTEST_SKIP() << "the user chose mpi_yield_when_idle";
  // Whatever this machine's cores, pose as the oversubscribed node mpirun would flag.
  const char* flag = std::getenv("OMPI_MCA_mpi_oversubscribe");
  const std::string saved = flag != nullptr ? flag : "";
  ::setenv("OMPI_MCA_mpi_oversubscribe", "1", 1);
  ASSERT_TRUE(multirank::node_oversubscribed());
  const bool before = *yielding;
  EXPECT_FALSE(before);
  {
    const multirank::BlockingMpiScope outer;
    EXPECT_TRUE(*yielding);
    {
      const multirank::BlockingMpiScope inner;
      EXPECT_TRUE(*yielding);
    }
    EXPECT_TRUE(*yielding);  // the inner scope's end leaves the outer's choice
  }
  EXPECT_EQ(*yielding, before);
  if (flag != nullptr) ::setenv("OMPI_MCA_mpi_oversubscribe", saved.c_str(), 1);
  else ::unsetenv("OMPI_MCA_mpi_oversubscribe");
  // On a node mpirun did not flag, a scope leaves Open MPI's setting alone.
  ::setenv("OMPI_MCA_mpi_oversubscribe", "0", 1);
  {
    const multirank::BlockingMpiScope scope;
    EXPECT_FALSE(*yielding);
  }
  if (flag != nullptr) ::setenv("OMPI_MCA_mpi_oversubscribe", saved.c_str(), 1);
  else ::unsetenv("OMPI_MCA_mpi_oversubscribe");
}
#else
// With any other MPI, multirank changes nothing of MPI's own waiting: the yield setting and the
// blocking scope are Open MPI's alone.
TEST(Environment, NothingOfOpenMpisIsTouchedElsewhere) {
  EXPECT_FALSE(multirank::Environment::mpi_yield_turned_off());
  EXPECT_EQ(std::getenv("OMPI_MCA_mpi_yield_when_idle"), nullptr);
  ::setenv("OMPI_MCA_mpi_oversubscribe", "1", 1);  // an Open MPI variable means nothing here
  EXPECT_FALSE(multirank::node_oversubscribed());
  ::unsetenv("OMPI_MCA_mpi_oversubscribe");
  const multirank::BlockingMpiScope scope;  // a no-op
  SUCCEED();
}
#endif
