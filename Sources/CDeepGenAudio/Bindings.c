#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "Bindings.h"
#include "CDeepGenAudio.h"

// Where the -dev packages are installed, the build proves our declarations match the libraries'
// ABI; elsewhere the declarations are trusted (they have been stable since libsndfile 1.0.0 and
// libsamplerate 0.1).

/// A field of our struct is at the same offset and of the same size as the library's.
#define SAME_FIELD(ours, theirs, field) \
    _Static_assert(offsetof(ours, field) == offsetof(theirs, field) && \
                   sizeof(((ours *)0)->field) == sizeof(((theirs *)0)->field), #theirs "." #field)

#if __has_include(<sndfile.h>)
#include <sndfile.h>
_Static_assert(sizeof(dg_sf_count_t) == sizeof(sf_count_t), "sf_count_t");
_Static_assert(sizeof(dg_sf_info) == sizeof(SF_INFO), "SF_INFO size");
SAME_FIELD(dg_sf_info, SF_INFO, frames);
SAME_FIELD(dg_sf_info, SF_INFO, samplerate);
SAME_FIELD(dg_sf_info, SF_INFO, channels);
SAME_FIELD(dg_sf_info, SF_INFO, format);
SAME_FIELD(dg_sf_info, SF_INFO, sections);
SAME_FIELD(dg_sf_info, SF_INFO, seekable);
_Static_assert(sizeof(dg_sf_virtual_io) == sizeof(SF_VIRTUAL_IO), "SF_VIRTUAL_IO size");
SAME_FIELD(dg_sf_virtual_io, SF_VIRTUAL_IO, get_filelen);
SAME_FIELD(dg_sf_virtual_io, SF_VIRTUAL_IO, seek);
SAME_FIELD(dg_sf_virtual_io, SF_VIRTUAL_IO, read);
SAME_FIELD(dg_sf_virtual_io, SF_VIRTUAL_IO, write);
SAME_FIELD(dg_sf_virtual_io, SF_VIRTUAL_IO, tell);
_Static_assert((int)DG_SFM_READ == (int)SFM_READ && (int)DG_SFM_WRITE == (int)SFM_WRITE, "SFM_*");
_Static_assert((int)DG_SFC_GET_LOG_INFO == (int)SFC_GET_LOG_INFO && (int)DG_SFC_SET_CLIPPING == (int)SFC_SET_CLIPPING, "SFC_*");
_Static_assert((int)DG_SF_TRUE == (int)SF_TRUE, "SF_TRUE");
_Static_assert((int)DG_AUDIO_CONTAINER_WAV == (int)SF_FORMAT_WAV && (int)DG_AUDIO_CONTAINER_AIFF == (int)SF_FORMAT_AIFF &&
               (int)DG_AUDIO_CONTAINER_AU == (int)SF_FORMAT_AU && (int)DG_AUDIO_CONTAINER_FLAC == (int)SF_FORMAT_FLAC &&
               (int)DG_AUDIO_CONTAINER_OGG == (int)SF_FORMAT_OGG && (int)DG_AUDIO_CONTAINER_MASK == (int)SF_FORMAT_TYPEMASK, "SF_FORMAT_ containers");
_Static_assert((int)DG_AUDIO_ENCODING_PCM_S8 == (int)SF_FORMAT_PCM_S8 && (int)DG_AUDIO_ENCODING_PCM_16 == (int)SF_FORMAT_PCM_16 &&
               (int)DG_AUDIO_ENCODING_PCM_24 == (int)SF_FORMAT_PCM_24 && (int)DG_AUDIO_ENCODING_PCM_32 == (int)SF_FORMAT_PCM_32 &&
               (int)DG_AUDIO_ENCODING_PCM_U8 == (int)SF_FORMAT_PCM_U8 && (int)DG_AUDIO_ENCODING_FLOAT == (int)SF_FORMAT_FLOAT &&
               (int)DG_AUDIO_ENCODING_DOUBLE == (int)SF_FORMAT_DOUBLE && (int)DG_AUDIO_ENCODING_VORBIS == (int)SF_FORMAT_VORBIS &&
               (int)DG_AUDIO_ENCODING_MASK == (int)SF_FORMAT_SUBMASK, "SF_FORMAT_ encodings");
#endif

#if __has_include(<samplerate.h>)
#include <samplerate.h>
_Static_assert(sizeof(dg_src_data) == sizeof(SRC_DATA), "SRC_DATA size");
SAME_FIELD(dg_src_data, SRC_DATA, data_in);
SAME_FIELD(dg_src_data, SRC_DATA, data_out);
SAME_FIELD(dg_src_data, SRC_DATA, input_frames);
SAME_FIELD(dg_src_data, SRC_DATA, output_frames);
SAME_FIELD(dg_src_data, SRC_DATA, input_frames_used);
SAME_FIELD(dg_src_data, SRC_DATA, output_frames_gen);
SAME_FIELD(dg_src_data, SRC_DATA, end_of_input);
SAME_FIELD(dg_src_data, SRC_DATA, src_ratio);
_Static_assert((int)DG_SRC_SINC_BEST_QUALITY == (int)SRC_SINC_BEST_QUALITY, "SRC_SINC_BEST_QUALITY");
#endif

void dg_audio_set_error(char *err, size_t err_len, const char *message) {
    if (err == NULL || err_len == 0) return;
    snprintf(err, err_len, "%s", message ? message : "unknown error");
}

/// Opens the library the environment variable `override` names when it is set (a library kept
/// somewhere unusual, or a test's missing one), else the first of `names` dlopen finds (sonames
/// first, then the usual Homebrew folders). On failure writes `missing` into `problem`.
static void *open_library(const char *override, const char *const *names, const char *missing, char *problem, size_t problem_len) {
    const char *path = getenv(override);
    if (path != NULL && *path != '\0') {
        void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (handle == NULL) snprintf(problem, problem_len, "%s (cannot load %s=%s: %s)", missing, override, path, dlerror());
        return handle;
    }
    for (const char *const *name = names; *name != NULL; name++) {
        void *handle = dlopen(*name, RTLD_NOW | RTLD_LOCAL);
        if (handle != NULL) return handle;
    }
    dg_audio_set_error(problem, problem_len, missing);
    return NULL;
}

/// Stores `symbol`'s address from `handle` in the function-pointer `field`; on a missing symbol
/// writes which into `problem` and returns 0.
static int lookup(void *handle, const char *symbol, void *field, const char *library, char *problem, size_t problem_len) {
    void *address = dlsym(handle, symbol);
    if (address == NULL) {
        snprintf(problem, problem_len, "%s has no %s (the installed version is too old)", library, symbol);
        return 0;
    }
    // POSIX guarantees that dlsym's data pointer converts to a function pointer of the same size.
    _Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers are pointer-sized");
    memcpy(field, &address, sizeof address);
    return 1;
}

static pthread_once_t sndfile_once = PTHREAD_ONCE_INIT;
static dg_sndfile_api sndfile_api;
static int sndfile_loaded;
static char sndfile_problem[256];

static void load_sndfile(void) {
    static const char *const names[] = {
        "libsndfile.so.1", "libsndfile.so", "libsndfile.1.dylib",
        "/opt/homebrew/lib/libsndfile.1.dylib", "/usr/local/lib/libsndfile.1.dylib", NULL,
    };
    void *handle = open_library("DEEPGEN_LIBSNDFILE", names, "libsndfile is not installed (Debian: apt-get install libsndfile1)",
                                sndfile_problem, sizeof sndfile_problem);
    if (handle == NULL) return;
    char *p = sndfile_problem;
    size_t n = sizeof sndfile_problem;
    dg_sndfile_api api;
    sndfile_loaded = lookup(handle, "sf_open", &api.open, "libsndfile", p, n)
        && lookup(handle, "sf_open_virtual", &api.open_virtual, "libsndfile", p, n)
        && lookup(handle, "sf_readf_float", &api.readf_float, "libsndfile", p, n)
        && lookup(handle, "sf_writef_float", &api.writef_float, "libsndfile", p, n)
        && lookup(handle, "sf_command", &api.command, "libsndfile", p, n)
        && lookup(handle, "sf_strerror", &api.strerror, "libsndfile", p, n)
        && lookup(handle, "sf_close", &api.close, "libsndfile", p, n);
    if (sndfile_loaded) sndfile_api = api;
}

const dg_sndfile_api *dg_load_sndfile(char *err, size_t err_len) {
    pthread_once(&sndfile_once, load_sndfile);
    if (sndfile_loaded) return &sndfile_api;
    dg_audio_set_error(err, err_len, sndfile_problem);
    return NULL;
}

static pthread_once_t samplerate_once = PTHREAD_ONCE_INIT;
static dg_samplerate_api samplerate_api;
static int samplerate_loaded;
static char samplerate_problem[256];

static void load_samplerate(void) {
    static const char *const names[] = {
        "libsamplerate.so.0", "libsamplerate.so", "libsamplerate.0.dylib",
        "/opt/homebrew/lib/libsamplerate.0.dylib", "/usr/local/lib/libsamplerate.0.dylib", NULL,
    };
    void *handle = open_library("DEEPGEN_LIBSAMPLERATE", names, "libsamplerate is not installed (Debian: apt-get install libsamplerate0)",
                                samplerate_problem, sizeof samplerate_problem);
    if (handle == NULL) return;
    dg_samplerate_api api;
    samplerate_loaded = lookup(handle, "src_simple", &api.simple, "libsamplerate", samplerate_problem, sizeof samplerate_problem)
        && lookup(handle, "src_strerror", &api.strerror, "libsamplerate", samplerate_problem, sizeof samplerate_problem);
    if (samplerate_loaded) samplerate_api = api;
}

const dg_samplerate_api *dg_load_samplerate(char *err, size_t err_len) {
    pthread_once(&samplerate_once, load_samplerate);
    if (samplerate_loaded) return &samplerate_api;
    dg_audio_set_error(err, err_len, samplerate_problem);
    return NULL;
}

int dg_audio_sndfile_status(char *err, size_t err_len) {
    return dg_load_sndfile(err, err_len) ? DG_AUDIO_OK : DG_AUDIO_NO_LIBRARY;
}

int dg_audio_samplerate_status(char *err, size_t err_len) {
    return dg_load_samplerate(err, err_len) ? DG_AUDIO_OK : DG_AUDIO_NO_LIBRARY;
}

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
void dg_sndfile_lock(void) { pthread_mutex_lock(&open_lock); }
void dg_sndfile_unlock(void) { pthread_mutex_unlock(&open_lock); }

void dg_audio_free(void *pointer) { free(pointer); }
