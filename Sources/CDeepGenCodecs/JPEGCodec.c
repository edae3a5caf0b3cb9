// libjpeg's default error_exit calls exit(); ours longjmps back here instead, so a corrupt file
// becomes an error message rather than a terminated process.
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include "CDeepGenCodecs.h"

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *err;
    size_t err_len;
    int truncated;
    // Heap state lives here so it survives a longjmp.
    unsigned char *pixels;
    unsigned char *out;
    unsigned long out_size;
} jpeg_ctx;

static void on_error_exit(j_common_ptr cinfo) {
    jpeg_ctx *ctx = (jpeg_ctx *)cinfo->err;
    char message[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, message);
    snprintf(ctx->err, ctx->err_len, "%s", message);
    longjmp(ctx->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level) {
    jpeg_ctx *ctx = (jpeg_ctx *)cinfo->err;
    // libjpeg only warns on a premature end and pads with gray; a cut-off file is an error for us.
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) ctx->truncated = 1;
}

int dg_jpeg_decode(const unsigned char *data, size_t size, size_t max_samples, dg_image *out,
                   char *err, size_t err_len) {
    memset(out, 0, sizeof(*out));
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) {
        snprintf(err, err_len, "not a JPEG file (bad signature)");
        return -1;
    }
    struct jpeg_decompress_struct cinfo;
    jpeg_ctx *ctx = calloc(1, sizeof(jpeg_ctx));
    if (!ctx) { snprintf(err, err_len, "out of memory"); return -1; }
    ctx->err = err; ctx->err_len = err_len;
    cinfo.err = jpeg_std_error(&ctx->base);
    ctx->base.error_exit = on_error_exit;
    ctx->base.emit_message = on_message;
    if (setjmp(ctx->jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(ctx->pixels);
        free(ctx);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_GRAYSCALE) {
        cinfo.out_color_space = JCS_GRAYSCALE;
    } else if (cinfo.jpeg_color_space == JCS_YCbCr || cinfo.jpeg_color_space == JCS_RGB) {
        cinfo.out_color_space = JCS_RGB;
    } else {
        snprintf(err, err_len, "unsupported JPEG color space %d (only grayscale and RGB/YCbCr are read)",
                 (int)cinfo.jpeg_color_space);
        longjmp(ctx->jump, 1);
    }
    size_t samples = (size_t)cinfo.image_width * cinfo.image_height * (size_t)cinfo.num_components;
    if (samples > max_samples) {
        snprintf(err, err_len, "image of %ux%u is larger than the limit of %zu samples",
                 (unsigned)cinfo.image_width, (unsigned)cinfo.image_height, max_samples);
        longjmp(ctx->jump, 1);
    }
    jpeg_start_decompress(&cinfo);
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    ctx->pixels = malloc(row_bytes * cinfo.output_height + 1);
    if (!ctx->pixels) {
        snprintf(err, err_len, "out of memory");
        longjmp(ctx->jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = ctx->pixels + (size_t)cinfo.output_scanline * row_bytes;
        jpeg_read_scanlines(&cinfo, &row, 1);
        if (ctx->truncated) break;
    }
    if (ctx->truncated) {
        snprintf(err, err_len, "unexpected end of file (truncated JPEG)");
        longjmp(ctx->jump, 1);
    }
    jpeg_finish_decompress(&cinfo);
    out->width = (int)cinfo.output_width;
    out->height = (int)cinfo.output_height;
    out->channels = cinfo.output_components;
    out->bit_depth = 8;
    out->pixels = ctx->pixels;
    jpeg_destroy_decompress(&cinfo);
    free(ctx);
    return 0;
}

int dg_jpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality,
                   unsigned char **out, size_t *out_size, char *err, size_t err_len) {
    *out = NULL;
    *out_size = 0;
    if ((channels != 1 && channels != 3) || width < 1 || height < 1) {
        snprintf(err, err_len, "cannot encode %dx%d pixels with %d channels as JPEG", width, height, channels);
        return -1;
    }
    struct jpeg_compress_struct cinfo;
    jpeg_ctx *ctx = calloc(1, sizeof(jpeg_ctx));
    if (!ctx) { snprintf(err, err_len, "out of memory"); return -1; }
    ctx->err = err; ctx->err_len = err_len;
    cinfo.err = jpeg_std_error(&ctx->base);
    ctx->base.error_exit = on_error_exit;
    ctx->base.emit_message = on_message;
    if (setjmp(ctx->jump)) {
        jpeg_destroy_compress(&cinfo);
        free(ctx->out);
        free(ctx);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &ctx->out, &ctx->out_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * (size_t)width * (size_t)channels);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    // jpeg_mem_dest's buffer comes from malloc, so dg_free releases it.
    *out = ctx->out;
    *out_size = (size_t)ctx->out_size;
    jpeg_destroy_compress(&cinfo);
    free(ctx);
    return 0;
}
