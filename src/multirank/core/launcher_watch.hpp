#pragma once
/// \file A rank notices when its launcher dies (mpirun SIGKILLed, a node's daemon gone).
///
/// Without its launcher a rank cannot be aborted through it, and an orphaned rank would go on
/// computing and writing (a journal grew by five lines in the second after mpirun was killed, so
/// an immediate --resume raced with it). The watch finds the launcher: the nearest ancestor that
/// does not carry this rank's own rank variable (OMPI_COMM_WORLD_RANK, PMI_RANK or PMIX_RANK), so
/// mpirun or orted for Open MPI, hydra_pmi_proxy for MPICH's Hydra, slurmstepd for srun, even
/// through a wrapper script. A thread waits (asleep, on a pidfd) for it to exit; then the rank
/// runs the stop flushes (journals are sealed), says so on stderr and exits at once, without
/// MPI_Abort (which can hang when the launcher is gone), within a fraction of a second.

namespace multirank {

/// Starts the watch once (idempotent); does nothing in a process that no launcher started.
/// Environment calls it first thing.
void start_launcher_watch();

}  // namespace multirank
