#ifndef CDEEPGEN_MPI_H
#define CDEEPGEN_MPI_H

#include <stddef.h>
#include <stdint.h>

// Open MPI, loaded with dlopen on first use, so that DeepGen builds and runs where no MPI is
// installed (`apt-get install openmpi-bin libopenmpi-dev` adds it). Only Open MPI's ABI
// (libmpi.so.40: Open MPI 3, 4 and 5) is declared: its handles are addresses of the library's
// predefined objects, which these functions look up by name.
//
// Every function returns 0 on success; otherwise it writes a message into `err` (at most
// `err_len` bytes) and returns a nonzero code.

/// Loads libmpi (`DEEPGEN_MPI_LIBRARY` may name the file) and initializes MPI for calls from the
/// thread that made this one (MPI_THREAD_FUNNELED), with errors returned rather than aborting.
/// Writes this process's rank and the number of ranks. A second call returns the same values.
int dg_mpi_init(int *rank, int *size, char *err, size_t err_len);

/// Whether libmpi can be loaded at all (no initialization): 0 if it can.
int dg_mpi_available(char *err, size_t err_len);

/// The library's version string ("Open MPI v4.1.4, …"), into `out`.
int dg_mpi_library_version(char *out, size_t out_len, char *err, size_t err_len);

/// Sums `count` floats (or ints, or doubles) over all ranks, in place, in chunks MPI's int
/// counts can hold.
int dg_mpi_allreduce_sum_float(float *data, int64_t count, char *err, size_t err_len);
int dg_mpi_allreduce_sum_double(double *data, int64_t count, char *err, size_t err_len);
/// The maximum of `count` ints over all ranks, in place (agreeing on stop flags).
int dg_mpi_allreduce_max_int(int32_t *data, int64_t count, char *err, size_t err_len);

/// A nonblocking sum of at most INT32_MAX floats, in place; `dg_mpi_wait` completes it.
/// `request` receives an opaque handle.
int dg_mpi_iallreduce_sum_float(float *data, int32_t count, void **request, char *err, size_t err_len);
/// Waits for a request of `dg_mpi_iallreduce_sum_float`.
int dg_mpi_wait(void **request, char *err, size_t err_len);
/// Whether a request has completed (`*done` 1, the request then freed), moving it on meanwhile:
/// Open MPI progresses a nonblocking collective only inside MPI calls.
int dg_mpi_test(void **request, int *done, char *err, size_t err_len);

/// Sends `bytes` bytes from rank `root` to every rank, in place, in chunks.
int dg_mpi_broadcast(void *data, int64_t bytes, int root, char *err, size_t err_len);

/// Waits for every rank.
int dg_mpi_barrier(char *err, size_t err_len);

/// Seconds on MPI's wall clock.
double dg_mpi_wtime(void);

/// Ends every rank of the job with `code` (an error on one rank that the others cannot learn of).
void dg_mpi_abort(int code);

/// Finalizes MPI (once; later calls do nothing).
int dg_mpi_finalize(char *err, size_t err_len);

#endif
