/* models/activity.onnx (torch QAT export, a graph model) through lib/m0nn's graph runner, against the reference. */
#include "m0nn.h" /* first: PlatformIO's dependency finder looks here, not inside activity.h */
#include "activity.h"
#include "activity_test.h"

#define M0NN_TEST_MODEL activity
#define M0NN_TEST_MODEL_UP ACTIVITY
#include "graph_model_test_body.h"
