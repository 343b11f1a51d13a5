/* m0nn graph operators (conv nets): convolution, pooling, add, tables, softmax,
 * concatenation, transposition, and the runner of a generated operator table.
 * Included by m0nn.h. Activations are int8 and channels-last: a tensor of C
 * channels over H x W positions is stored [H][W][C] (1-D: H = 1). The m0nn
 * Python package computes every constant below; these kernels only consume it.
 * Every kernel checks its arguments once, before writing any output, and
 * returns an m0nn_status_t. No float, no division, no malloc. */
#ifndef M0NN_GRAPH_H
#define M0NN_GRAPH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Convolution, standard or depthwise, q31 requantization per output channel:
 * out[oy][ox][co] = clamp(requant_q31(acc, multiplier[co], shift[co]) + output_offset),
 * acc = bias[co] + sum over taps (ky, kx) inside the input, iy = oy * stride_h
 * - pad_top + ky * dilation_h (ix likewise), of (in[iy][ix][ci] + input_offset) * w.
 * Taps in the padding are skipped: they hold the input zero point, which adds 0.
 * in_h, in_w, in_c, out_h, out_w, out_c   [1, 65535], in_h * in_w * in_c and
 *                out_h * out_w * out_c below 2^24
 * kernel_h/w, stride_h/w, dilation_h/w    [1, 255]
 * pad_top, pad_left                      [0, 255] (bottom and right padding are
 *                                        implied by out_h and out_w)
 * depth_multiplier  0: standard conv, weights [out_c][kernel_h][kernel_w][in_c];
 *                   >= 1 (m0nn_depthwise_conv_s8): out_c = in_c * depth_multiplier,
 *                   weights [kernel_h][kernel_w][out_c], output channel c reads
 *                   input channel c / depth_multiplier.
 * input_offset   [-127, 128]: minus the input zero point.
 * output_offset  [-128, 127]: the output zero point.
 * act_min/max    within [-128, 127], act_min <= act_max.
 * weights        int8, symmetric; bias out_c int32 values or NULL.
 * requant        an m0nn_requant_t (M0NN_REQUANT_Q31, _MUL32 or _SHIFT, ranges as for
 *                m0nn_fc_s8); the generator proves the MUL32/SHIFT bounds.
 * multiplier/shift  out_c values each (multiplier unread with M0NN_REQUANT_SHIFT).
 * bias_u8        NULL, or out_c values bias[c] + (input_offset - 128) * sum of channel c's
 *                weights, and
 * weights_u8     the weights again as w + 128 (uint8, same layout), both from the
 *                generator: m0nn_conv_s8 then computes each pair of horizontally
 *                adjacent outputs with one multiply per weight for both (two 16-bit
 *                lanes; padding packed as the zero point), using the stack stated at
 *                M0NN_CONV_PAIR_TAPS, when kernel_h * kernel_w * in_c <= M0NN_CONV_PAIR_TAPS.
 *                NULL: the straightforward loop.
 * The generator proves |acc| < 2^31 for every input (|bias| + 255 * sum |w| per channel). */
typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;
    int32_t depth_multiplier;
    int32_t input_offset;
    int32_t output_offset;
    int32_t act_min, act_max;
    int32_t requant;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *multiplier;
    const int32_t *shift;
    const int32_t *bias_u8;
    const uint8_t *weights_u8;
} m0nn_conv_s8_params_t;

/* The largest window (kernel_h * kernel_w * in_c) of the paired path: its
 * activations are packed on the stack, 4 bytes per value (512 bytes), with
 * the dot products of up to M0NN_CONV_PAIR_CHANNELS channels (256 bytes).
 * m0nn_depthwise_conv_s8 keeps M0NN_CONV_PAIR_CHANNELS accumulators on the
 * stack (128 bytes; multiplier 1 and at most that many channels). */
#define M0NN_CONV_PAIR_TAPS 128
#define M0NN_CONV_PAIR_CHANNELS 32

m0nn_status_t m0nn_conv_s8(const m0nn_conv_s8_params_t *params, const int8_t *input, int8_t *output);
m0nn_status_t m0nn_depthwise_conv_s8(const m0nn_conv_s8_params_t *params, const int8_t *input, int8_t *output);

/* Pooling over windows of kernel_h x kernel_w, channels-last, no dilation.
 * Sizes and strides as for the conv; pad_top/pad_left in [0, kernel - 1].
 * m0nn_maxpool_s8: the largest input of the window's taps inside the input
 *   (input and output share scale and zero point; offsets and tables unused).
 * m0nn_avgpool_s8: total = sum over the taps inside the input of
 *   (in + input_offset); count = kernel_h * kernel_w (count_include_pad) or the
 *   number of those taps. Then either
 *   - exact (multiplier NULL): TFLite's average, total / count rounded half away
 *     from zero, as (|total| + count / 2) * recip_mult[count - 1] >> recip_shift[count - 1]
 *     in 32-bit unsigned arithmetic (the host checks it is exact and fits for
 *     every |total| <= 255 * count), minus input_offset (same scale in and out);
 *   - rescaled: requant_q31(total * 2^pre_shift, multiplier[count - 1], shift[count - 1])
 *     + output_offset, when the output has its own scale; pre_shift in [0, 23] with
 *     255 * kernel_h * kernel_w * 2^pre_shift < 2^31 keeps fraction bits in the multiply.
 *   Tables hold kernel_h * kernel_w entries. */
typedef struct {
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t count_include_pad;
    int32_t input_offset;
    int32_t output_offset;
    int32_t pre_shift;
    const uint32_t *recip_mult;
    const int32_t *recip_shift;
    const int32_t *multiplier;
    const int32_t *shift;
} m0nn_pool_s8_params_t;

m0nn_status_t m0nn_maxpool_s8(const m0nn_pool_s8_params_t *params, const int8_t *input, int8_t *output);
m0nn_status_t m0nn_avgpool_s8(const m0nn_pool_s8_params_t *params, const int8_t *input, int8_t *output);

/* TFLite's int8 Add of two tensors with their own scales:
 * x_k = (in_k + input_k_offset) * 2^20; s_k = requant_q31(x_k, input_k_multiplier, input_k_shift);
 * out = clamp(requant_q31(s_1 + s_2, output_multiplier, output_shift) + output_offset).
 * size >= 1; input offsets [-127, 128]; output_offset [-128, 127]; input shifts
 * in [-31, 0] (the host rescales both to twice the larger scale); output_shift [-31, 30]. */
#define M0NN_ADD_LEFT_SHIFT 20
typedef struct {
    int32_t size;
    int32_t input1_offset, input2_offset;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t output_offset;
    int32_t act_min, act_max;
} m0nn_add_s8_params_t;

m0nn_status_t m0nn_add_s8(const m0nn_add_s8_params_t *params, const int8_t *input1, const int8_t *input2,
                          int8_t *output);

/* out[i] = table[in[i] + 128]: any int8 -> int8 function (activations, requantization). */
typedef struct {
    int32_t size;
    const int8_t *table; /* 256 entries */
} m0nn_lut_s8_params_t;

m0nn_status_t m0nn_lut_s8(const m0nn_lut_s8_params_t *params, const int8_t *input, int8_t *output);

/* Softmax over rows of `length` values: e_i = exp_table[max - x_i] (Q15,
 * exp_table[0] = 32768), S = sum e_i, normalised to 16 bits by r right shifts,
 * R = floor(2^31 / (S >> r)) by shift-subtract (no divider), p_i = e_i * R >>
 * (16 + r) (Q15 probability), out = clamp(((p_i * output_multiplier +
 * 2^(output_shift - 1)) >> output_shift) + output_offset, -128, 127).
 * rows >= 1; length in [1, 65535]; output_multiplier in [1, 2^16 - 1];
 * output_shift in [0, 31]. Error against the float softmax: docs/numerics.md. */
typedef struct {
    int32_t rows, length;
    int32_t output_multiplier, output_shift;
    int32_t output_offset;
    const uint16_t *exp_table; /* 256 entries */
} m0nn_softmax_s8_params_t;

m0nn_status_t m0nn_softmax_s8(const m0nn_softmax_s8_params_t *params, const int8_t *input, int8_t *output);

/* Channel concatenation of channels-last tensors: per position, a's channels then b's.
 * positions >= 1, channels_a/b >= 1. Both inputs share the output's scale. */
typedef struct {
    int32_t positions, channels_a, channels_b;
} m0nn_concat_s8_params_t;

m0nn_status_t m0nn_concat_s8(const m0nn_concat_s8_params_t *params, const int8_t *a, const int8_t *b, int8_t *output);

/* out[c][r] = in[r][c]: the model input from ONNX order [C][H*W] to channels-last, or back. */
typedef struct {
    int32_t rows, cols;
} m0nn_transpose_s8_params_t;

m0nn_status_t m0nn_transpose_s8(const m0nn_transpose_s8_params_t *params, const int8_t *input, int8_t *output);

/* A graph model: operators in topological order. Each reads one or two
 * tensors and writes one; a tensor lives at an offset in the caller's arena,
 * or is the model input (M0NN_AT_INPUT) or output (M0NN_AT_OUTPUT) buffer.
 * The generator plans the offsets by liveness (docs/numerics.md). */
typedef enum {
    M0NN_OP_CONV = 0,
    M0NN_OP_DEPTHWISE_CONV = 1,
    M0NN_OP_FC = 2,
    M0NN_OP_MAXPOOL = 3,
    M0NN_OP_AVGPOOL = 4,
    M0NN_OP_ADD = 5,
    M0NN_OP_LUT = 6,
    M0NN_OP_SOFTMAX = 7,
    M0NN_OP_CONCAT = 8,
    M0NN_OP_TRANSPOSE = 9
} m0nn_op_kind_t;

#define M0NN_AT_INPUT (-1)
#define M0NN_AT_OUTPUT (-2)
#define M0NN_AT_NONE (-3)

typedef struct {
    int32_t kind;     /* m0nn_op_kind_t */
    int32_t in0, in1; /* arena offsets, M0NN_AT_INPUT/OUTPUT, or M0NN_AT_NONE (in1 of one-input ops) */
    int32_t out;      /* arena offset or M0NN_AT_OUTPUT */
    int32_t in0_size; /* bytes of each tensor, for the arena check */
    int32_t in1_size;
    int32_t out_size;
    const void *params; /* the kernel's params struct (m0nn_fc_s8_params_t for M0NN_OP_FC) */
} m0nn_op_t;

typedef struct {
    int32_t n_ops;
    int32_t arena_size;
    int32_t input_size;
    int32_t output_size;
    const m0nn_op_t *ops;
} m0nn_graph_t;

/* Runs the operators in order. input: input_size int8 values in the ONNX
 * model's element order; output: output_size values likewise; arena:
 * arena_size bytes, any alignment. Every operator's tensors are checked to lie
 * inside their buffers before it runs; the first failing status is returned.
 * observer (may be NULL) is called after each operator with its output. */
m0nn_status_t m0nn_graph_run_observed(const m0nn_graph_t *graph, const int8_t *input, int8_t *output, void *arena,
                                      m0nn_observer_t observer, void *ctx);
m0nn_status_t m0nn_graph_run(const m0nn_graph_t *graph, const int8_t *input, int8_t *output, void *arena);

#ifdef __cplusplus
}
#endif

#endif /* M0NN_GRAPH_H */
