#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "Bindings.h"
#include "CDeepGenAudio.h"

/// Frames decoded per call; the buffer grows as frames arrive rather than trusting the header's
/// count, so a corrupt header cannot make us allocate gigabytes.
enum { CHUNK_FRAMES = 65536 };

/// Whether libsndfile's log for `file` says a WAV's data chunk announces more bytes than the file
/// holds. libsndfile then quietly shortens the stream to what is there; we call it truncated.
/// Its log line reads `data : 2000 (should be 1500)`; sizes 0 and 0xFFFFFFFF are the "unknown
/// length" markers of streaming writers, not truncation.
static int log_reports_truncation(const dg_sndfile_api *sf, dg_sndfile *file, char *err, size_t err_len) {
    char log[8192];
    memset(log, 0, sizeof log);
    sf->command(file, DG_SFC_GET_LOG_INFO, log, (int)sizeof log - 1);
    for (const char *line = log; line != NULL && *line != '\0'; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        long long announced, present;
        if (sscanf(line, "data : %lld (should be %lld)", &announced, &present) == 2 &&
            announced != 0 && announced != 0xFFFFFFFFLL && present < announced) {
            snprintf(err, err_len, "the header announces %lld bytes of audio data, the file holds %lld", announced, present);
            return 1;
        }
    }
    return 0;
}

int dg_audio_read(const char *path, float **samples, dg_audio_info *info, char *err, size_t err_len) {
    *samples = NULL;
    memset(info, 0, sizeof *info);
    const dg_sndfile_api *sf = dg_load_sndfile(err, err_len);
    if (sf == NULL) return DG_AUDIO_NO_LIBRARY;

    dg_sf_info sfinfo;
    memset(&sfinfo, 0, sizeof sfinfo);
    dg_sndfile_lock();
    dg_sndfile *file = sf->open(path, DG_SFM_READ, &sfinfo);
    if (file == NULL) dg_audio_set_error(err, err_len, sf->strerror(NULL));
    dg_sndfile_unlock();
    if (file == NULL) return DG_AUDIO_OPEN_FAILED;

    info->frames = sfinfo.frames;
    info->channels = sfinfo.channels;
    info->sample_rate = sfinfo.samplerate;
    info->format = sfinfo.format;
    if (sfinfo.channels <= 0 || sfinfo.samplerate <= 0) {
        snprintf(err, err_len, "the header gives %d channels at %d Hz", sfinfo.channels, sfinfo.samplerate);
        sf->close(file);
        return DG_AUDIO_OPEN_FAILED;
    }
    if (log_reports_truncation(sf, file, err, err_len)) {
        sf->close(file);
        return DG_AUDIO_SHORT_READ;
    }

    size_t channels = (size_t)sfinfo.channels;
    size_t capacity = 0, frames = 0;
    float *buffer = NULL;
    for (;;) {
        if (capacity - frames < CHUNK_FRAMES) {
            size_t grown = capacity == 0 ? CHUNK_FRAMES : capacity * 2;
            if (grown > SIZE_MAX / sizeof(float) / channels) goto no_memory;
            float *bigger = realloc(buffer, grown * channels * sizeof(float));
            if (bigger == NULL) goto no_memory;
            buffer = bigger;
            capacity = grown;
        }
        dg_sf_count_t got = sf->readf_float(file, buffer + frames * channels, CHUNK_FRAMES);
        if (got <= 0) break;
        frames += (size_t)got;
    }
    // A stream that stops early (a truncated FLAC, a corrupt block) reads fewer frames than the
    // header counts; sf_strerror then has libsndfile's reason. INT64_MAX means "unknown length".
    if (sfinfo.frames >= 0 && sfinfo.frames != INT64_MAX && (dg_sf_count_t)frames < sfinfo.frames) {
        snprintf(err, err_len, "decoded %zu of the %lld frames the header announces (%s)", frames,
                 (long long)sfinfo.frames, sf->strerror(file));
        free(buffer);
        sf->close(file);
        return DG_AUDIO_SHORT_READ;
    }
    sf->close(file);
    info->frames = (long long)frames;
    *samples = buffer;
    return DG_AUDIO_OK;

no_memory:
    free(buffer);
    sf->close(file);
    snprintf(err, err_len, "out of memory after decoding %zu frames", frames);
    return DG_AUDIO_NO_MEMORY;
}
