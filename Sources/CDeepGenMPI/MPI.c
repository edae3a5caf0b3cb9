#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "CDeepGenMPI.h"

// Open MPI's handles are pointers to opaque structs; ours are `void *` of the same size.
typedef void *dg_handle;

enum { DG_MPI_SUCCESS = 0, DG_MPI_THREAD_FUNNELED = 1, DG_MPI_MAX_STRING = 256 };
#define DG_MPI_IN_PLACE ((void *)1)
#define DG_MPI_STATUS_IGNORE ((void *)0)

// Where libopenmpi-dev is installed (Debian keeps mpi.h under <mpi/…>), the build checks the
// values and names above against Open MPI's own header.
#if __has_include(<mpi/mpi.h>)
#include <mpi/mpi.h>
#if defined(OPEN_MPI)
_Static_assert(sizeof(MPI_Comm) == sizeof(dg_handle) && sizeof(MPI_Datatype) == sizeof(dg_handle) &&
               sizeof(MPI_Op) == sizeof(dg_handle) && sizeof(MPI_Request) == sizeof(dg_handle) &&
               sizeof(MPI_Errhandler) == sizeof(dg_handle), "Open MPI handles are pointers");
_Static_assert(MPI_SUCCESS == DG_MPI_SUCCESS && MPI_THREAD_FUNNELED == DG_MPI_THREAD_FUNNELED, "MPI constants");
_Static_assert(MPI_MAX_ERROR_STRING <= DG_MPI_MAX_STRING && MPI_MAX_LIBRARY_VERSION_STRING <= DG_MPI_MAX_STRING, "MPI string lengths");
// The predefined objects this file looks up by name (sizeof does not reference the symbol).
_Static_assert(sizeof(&ompi_mpi_comm_world) + sizeof(&ompi_mpi_float) + sizeof(&ompi_mpi_double) + sizeof(&ompi_mpi_int32_t) +
               sizeof(&ompi_mpi_byte) + sizeof(&ompi_mpi_op_sum) + sizeof(&ompi_mpi_op_max) + sizeof(&ompi_mpi_errors_return) > 0,
               "Open MPI's predefined objects");
#endif
#endif

static struct {
    int (*Initialized)(int *);
    int (*Finalized)(int *);
    int (*Init_thread)(int *, char ***, int, int *);
    int (*Finalize)(void);
    int (*Comm_rank)(dg_handle, int *);
    int (*Comm_size)(dg_handle, int *);
    int (*Comm_set_errhandler)(dg_handle, dg_handle);
    int (*Allreduce)(const void *, void *, int, dg_handle, dg_handle, dg_handle);
    int (*Iallreduce)(const void *, void *, int, dg_handle, dg_handle, dg_handle, dg_handle *);
    int (*Wait)(dg_handle *, void *);
    int (*Test)(dg_handle *, int *, void *);
    int (*Bcast)(void *, int, dg_handle, int, dg_handle);
    int (*Barrier)(dg_handle);
    int (*Abort)(dg_handle, int);
    int (*Error_string)(int, char *, int *);
    int (*Get_library_version)(char *, int *);
    double (*Wtime)(void);
    dg_handle comm_world, float_type, double_type, int32_type, byte_type, op_sum, op_max, errors_return;
} mpi;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int loaded = 0;                // 1 loaded, -1 failed
static char load_problem[512];
static int initialized = 0, rank_value = 0, size_value = 1;

static void set_error(char *err, size_t err_len, const char *message) {
    if (err != NULL && err_len > 0) snprintf(err, err_len, "%s", message);
}

/// Resolves every symbol, or says which one is missing.
static int resolve(void *handle) {
#define FUNCTION(field, name) \
    if ((*(void **)&mpi.field = dlsym(handle, name)) == NULL) { \
        snprintf(load_problem, sizeof load_problem, "the MPI library has no %s: DeepGen needs Open MPI (libmpi.so.40)", name); \
        return -1; }
#define OBJECT(field, name) \
    if ((mpi.field = dlsym(handle, name)) == NULL) { \
        snprintf(load_problem, sizeof load_problem, "the MPI library has no %s: DeepGen needs Open MPI (libmpi.so.40), not another MPI", name); \
        return -1; }
    FUNCTION(Initialized, "MPI_Initialized") FUNCTION(Finalized, "MPI_Finalized") FUNCTION(Init_thread, "MPI_Init_thread")
    FUNCTION(Finalize, "MPI_Finalize") FUNCTION(Comm_rank, "MPI_Comm_rank") FUNCTION(Comm_size, "MPI_Comm_size")
    FUNCTION(Comm_set_errhandler, "MPI_Comm_set_errhandler") FUNCTION(Allreduce, "MPI_Allreduce")
    FUNCTION(Iallreduce, "MPI_Iallreduce") FUNCTION(Wait, "MPI_Wait") FUNCTION(Test, "MPI_Test") FUNCTION(Bcast, "MPI_Bcast") FUNCTION(Barrier, "MPI_Barrier")
    FUNCTION(Abort, "MPI_Abort") FUNCTION(Error_string, "MPI_Error_string") FUNCTION(Get_library_version, "MPI_Get_library_version")
    FUNCTION(Wtime, "MPI_Wtime")
    OBJECT(comm_world, "ompi_mpi_comm_world") OBJECT(float_type, "ompi_mpi_float") OBJECT(double_type, "ompi_mpi_double")
    OBJECT(int32_type, "ompi_mpi_int32_t") OBJECT(byte_type, "ompi_mpi_byte") OBJECT(op_sum, "ompi_mpi_op_sum")
    OBJECT(op_max, "ompi_mpi_op_max") OBJECT(errors_return, "ompi_mpi_errors_return")
#undef FUNCTION
#undef OBJECT
    return 0;
}

/// Loads libmpi once. RTLD_GLOBAL: Open MPI's own plugins, which it dlopens, look up libmpi's
/// symbols globally and fail to load otherwise.
static int load(char *err, size_t err_len) {
    pthread_mutex_lock(&lock);
    if (loaded == 0) {
        const char *override = getenv("DEEPGEN_MPI_LIBRARY");
        const char *names[] = {"libmpi.so.40", "libmpi.so", "/usr/lib/x86_64-linux-gnu/libmpi.so.40",
                               "/opt/homebrew/lib/libmpi.40.dylib", "/usr/local/lib/libmpi.40.dylib", NULL};
        void *handle = NULL;
        if (override != NULL && *override != '\0') {
            handle = dlopen(override, RTLD_NOW | RTLD_GLOBAL);
            if (handle == NULL) snprintf(load_problem, sizeof load_problem, "cannot load DEEPGEN_MPI_LIBRARY=%s: %s", override, dlerror());
        } else {
            for (const char **name = names; *name != NULL && handle == NULL; name++) handle = dlopen(*name, RTLD_NOW | RTLD_GLOBAL);
            if (handle == NULL) {
                snprintf(load_problem, sizeof load_problem,
                         "Open MPI is not installed (no libmpi.so.40; on Debian or Ubuntu: apt-get install openmpi-bin libopenmpi-dev)");
            }
        }
        loaded = handle != NULL && resolve(handle) == 0 ? 1 : -1;
    }
    int ok = loaded == 1;
    pthread_mutex_unlock(&lock);
    if (!ok) set_error(err, err_len, load_problem);
    return ok ? 0 : -1;
}

/// Turns an MPI error code into `what`: its text.
static int failed(int code, const char *what, char *err, size_t err_len) {
    if (code == DG_MPI_SUCCESS) return 0;
    char text[DG_MPI_MAX_STRING] = "unknown error";
    int length = 0;
    if (mpi.Error_string == NULL || mpi.Error_string(code, text, &length) != DG_MPI_SUCCESS) snprintf(text, sizeof text, "error %d", code);
    if (err != NULL && err_len > 0) snprintf(err, err_len, "%s failed: %s", what, text);
    return code;
}

static int require_initialized(char *err, size_t err_len) {
    if (initialized) return 0;
    set_error(err, err_len, "MPI is not initialized (dg_mpi_init first)");
    return -1;
}

int dg_mpi_available(char *err, size_t err_len) { return load(err, err_len); }

int dg_mpi_init(int *rank, int *size, char *err, size_t err_len) {
    if (load(err, err_len) != 0) return -1;
    if (!initialized) {
        int already = 0, provided = 0, code;
        mpi.Initialized(&already);
        // Waiting ranks yield the core instead of spinning (unless the user chose): in a
        // data-parallel run they wait while rank 0 writes samples and checkpoints, perhaps on the
        // same cores. Read by Open MPI when it initializes.
        setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
        if (!already && (code = mpi.Init_thread(NULL, NULL, DG_MPI_THREAD_FUNNELED, &provided)) != DG_MPI_SUCCESS) {
            return failed(code, "MPI_Init_thread", err, err_len);
        }
        // Errors come back as codes (and messages) instead of ending the job on the spot.
        if ((code = mpi.Comm_set_errhandler(mpi.comm_world, mpi.errors_return)) != DG_MPI_SUCCESS) return failed(code, "MPI_Comm_set_errhandler", err, err_len);
        if ((code = mpi.Comm_rank(mpi.comm_world, &rank_value)) != DG_MPI_SUCCESS) return failed(code, "MPI_Comm_rank", err, err_len);
        if ((code = mpi.Comm_size(mpi.comm_world, &size_value)) != DG_MPI_SUCCESS) return failed(code, "MPI_Comm_size", err, err_len);
        initialized = 1;
    }
    *rank = rank_value;
    *size = size_value;
    return 0;
}

int dg_mpi_library_version(char *out, size_t out_len, char *err, size_t err_len) {
    if (load(err, err_len) != 0) return -1;
    char text[DG_MPI_MAX_STRING] = "";
    int length = 0, code = mpi.Get_library_version(text, &length);
    if (code != DG_MPI_SUCCESS) return failed(code, "MPI_Get_library_version", err, err_len);
    if (out != NULL && out_len > 0) snprintf(out, out_len, "%s", text);
    return 0;
}

/// In-place all-reduce of `count` elements of `width` bytes, in chunks of at most INT_MAX elements.
static int allreduce(void *data, int64_t count, size_t width, dg_handle type, dg_handle op, char *err, size_t err_len) {
    if (require_initialized(err, err_len) != 0) return -1;
    if (count < 0) { set_error(err, err_len, "a negative element count"); return -1; }
    char *p = data;
    for (int64_t done = 0; done < count;) {
        int chunk = (int)(count - done > INT_MAX ? INT_MAX : count - done);
        int code = mpi.Allreduce(DG_MPI_IN_PLACE, p + done * (int64_t)width, chunk, type, op, mpi.comm_world);
        if (code != DG_MPI_SUCCESS) return failed(code, "MPI_Allreduce", err, err_len);
        done += chunk;
    }
    return 0;
}

int dg_mpi_allreduce_sum_float(float *data, int64_t count, char *err, size_t err_len) {
    return allreduce(data, count, sizeof(float), mpi.float_type, mpi.op_sum, err, err_len);
}

int dg_mpi_allreduce_sum_double(double *data, int64_t count, char *err, size_t err_len) {
    return allreduce(data, count, sizeof(double), mpi.double_type, mpi.op_sum, err, err_len);
}

int dg_mpi_allreduce_max_int(int32_t *data, int64_t count, char *err, size_t err_len) {
    return allreduce(data, count, sizeof(int32_t), mpi.int32_type, mpi.op_max, err, err_len);
}

int dg_mpi_iallreduce_sum_float(float *data, int32_t count, void **request, char *err, size_t err_len) {
    if (require_initialized(err, err_len) != 0) return -1;
    if (count < 0) { set_error(err, err_len, "a negative element count"); return -1; }
    int code = mpi.Iallreduce(DG_MPI_IN_PLACE, data, count, mpi.float_type, mpi.op_sum, mpi.comm_world, request);
    return failed(code, "MPI_Iallreduce", err, err_len);
}

int dg_mpi_wait(void **request, char *err, size_t err_len) {
    if (require_initialized(err, err_len) != 0) return -1;
    return failed(mpi.Wait(request, DG_MPI_STATUS_IGNORE), "MPI_Wait", err, err_len);
}

int dg_mpi_test(void **request, int *done, char *err, size_t err_len) {
    if (require_initialized(err, err_len) != 0) return -1;
    return failed(mpi.Test(request, done, DG_MPI_STATUS_IGNORE), "MPI_Test", err, err_len);
}

int dg_mpi_broadcast(void *data, int64_t bytes, int root, char *err, size_t err_len) {
    if (require_initialized(err, err_len) != 0) return -1;
    if (bytes < 0) { set_error(err, err_len, "a negative byte count"); return -1; }
    char *p = data;
    for (int64_t done = 0; done < bytes;) {
        int chunk = (int)(bytes - done > INT_MAX ? INT_MAX : bytes - done);
        int code = mpi.Bcast(p + done, chunk, mpi.byte_type, root, mpi.comm_world);
        if (code != DG_MPI_SUCCESS) return failed(code, "MPI_Bcast", err, err_len);
        done += chunk;
    }
    return 0;
}

int dg_mpi_barrier(char *err, size_t err_len) {
    if (require_initialized(err, err_len) != 0) return -1;
    return failed(mpi.Barrier(mpi.comm_world), "MPI_Barrier", err, err_len);
}

double dg_mpi_wtime(void) { return initialized ? mpi.Wtime() : 0; }

void dg_mpi_abort(int code) {
    if (initialized) mpi.Abort(mpi.comm_world, code);
    exit(code);
}

int dg_mpi_finalize(char *err, size_t err_len) {
    if (!initialized) return 0;
    int done = 0;
    mpi.Finalized(&done);
    if (done) return 0;
    initialized = 0;
    return failed(mpi.Finalize(), "MPI_Finalize", err, err_len);
}
