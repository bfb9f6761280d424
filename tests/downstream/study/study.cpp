// A user's program with the study component: times a loop at every rank, writes a study file,
// reads it back and prints its summary.
#include <cstdio>
#include <string>

#include "multirank/multirank.hpp"
#include "multirank/study/run_record.hpp"
#include "multirank/study/study_file.hpp"

int main(int argc, char** argv) {
  return multirank::run_main(argc, argv, [&] {
    if (argc != 2) throw multirank::UsageError("usage: downstream_study OUTPUT.h5");
    const auto comm = multirank::Communicator::world();
    auto record = multirank::study::begin_run(comm, "downstream", R"({"loop":1000000})");
    for (int rep = 0; rep < 3; ++rep) {
      comm.barrier();
      const double t0 = MPI_Wtime();
      volatile double x = 0;
      for (int i = 0; i < 1000000; ++i) x = x + 1.0 / (i + 1);
      record.samples.push_back(multirank::study::make_sample(comm, rep, MPI_Wtime() - t0));
    }
    multirank::study::summarize_record(record);
    const std::string group = multirank::study::write_run(comm, argv[1], record);
    if (comm.rank() == 0) {
      const auto runs = multirank::study::read_runs(argv[1]);
      std::printf("%s: %zu run(s), app %s, %zu sample(s), p = %d\n", group.c_str(), runs.size(),
                  runs.at(0).app.c_str(), runs.at(0).samples.size(), runs.at(0).samples.at(0).p);
    }
    return 0;
  });
}
