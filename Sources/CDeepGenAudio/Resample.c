#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "Bindings.h"
#include "CDeepGenAudio.h"

int dg_audio_resample(const float *samples, long long frames, double ratio,
                      float **out, long long *out_frames, char *err, size_t err_len) {
    *out = NULL;
    *out_frames = 0;
    if (frames <= 0 || frames > LONG_MAX || samples == NULL || !(ratio > 0) || !isfinite(ratio)) {
        snprintf(err, err_len, "cannot resample %lld frames by %g", frames, ratio);
        return DG_AUDIO_BAD_ARGUMENT;
    }
    const dg_samplerate_api *src = dg_load_samplerate(err, err_len);
    if (src == NULL) return DG_AUDIO_NO_LIBRARY;

    // Room for exactly round(frames * ratio) frames: the converter stops there, so the length is
    // the one the ratio implies (it can produce a frame or two more while flushing its filter).
    double wanted = floor((double)frames * ratio + 0.5);
    if (wanted < 1) wanted = 1;
    if (wanted > (double)LONG_MAX || wanted > (double)(SIZE_MAX / sizeof(float))) {
        snprintf(err, err_len, "%lld frames resampled by %g is too long", frames, ratio);
        return DG_AUDIO_BAD_ARGUMENT;
    }
    float *buffer = malloc((size_t)wanted * sizeof(float));
    if (buffer == NULL) {
        snprintf(err, err_len, "out of memory for %.0f resampled frames", wanted);
        return DG_AUDIO_NO_MEMORY;
    }
    dg_src_data data = {0};
    data.data_in = samples;
    data.data_out = buffer;
    data.input_frames = (long)frames;
    data.output_frames = (long)wanted;
    data.end_of_input = 1;
    data.src_ratio = ratio;
    int status = src->simple(&data, DG_SRC_SINC_BEST_QUALITY, 1);
    if (status != 0) {
        dg_audio_set_error(err, err_len, src->strerror(status));
        free(buffer);
        return DG_AUDIO_RESAMPLE_FAILED;
    }
    *out = buffer;
    *out_frames = data.output_frames_gen;
    return DG_AUDIO_OK;
}
