#ifndef M0NN_B8P_MAX_IN_H
#define M0NN_B8P_MAX_IN_H

/* The pairs layout's largest in_size (m0nn_fc_s8_b8p): twice the pairs the
 * ARMv6-M sequence unrolls (m0nn_armv6m_pairs.inc's PAIRS_MAX). The one source:
 * the assembly includes this header, and python/tests/test_pairs.py checks
 * m0nn.layout.PAIRS_MAX_IN against it. Preprocessor only (read by C and .S). */
#define M0NN_B8P_MAX_IN 64

#endif
