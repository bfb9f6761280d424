// The Boost.MPI interop view: the same communicator, usable by Boost.MPI code, never freed by it.
#include <gtest/gtest.h>

#include <boost/mpi/collectives/broadcast.hpp>

#include <string>

#include "multirank/core/boost_mpi.hpp"
#include "multirank/core/communicator.hpp"

using multirank::Communicator;

TEST(BoostMpiView, SeesTheSameRanksAndCarriesMessages) {
  const auto comm = Communicator::world();
  {
    const boost::mpi::communicator view = multirank::boost_view(comm);
    EXPECT_EQ(view.rank(), comm.rank());
    EXPECT_EQ(view.size(), comm.size());
    std::string text = comm.rank() == 0 ? "from rank 0" : "";
    boost::mpi::broadcast(view, text, 0);
    EXPECT_EQ(text, "from rank 0");
  }
  // The view is gone; the communicator still works (the view did not free it).
  const int next = (comm.rank() + 1) % comm.size();
  const int prev = (comm.rank() + comm.size() - 1) % comm.size();
  auto req = comm.isend(next, multirank::Tag{3}, comm.rank());
  EXPECT_EQ(comm.recv<int>(prev, multirank::Tag{3}), prev);
  req.wait();
}
