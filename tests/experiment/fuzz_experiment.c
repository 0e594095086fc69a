/* libFuzzer target for the experiment parser: any bytes must give either an
 * experiment or an FL_EINVAL error with a file:line:column message; never a
 * crash, a leak or undefined behaviour. Nothing is run. */
#include "faultline.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fl_error err;
    fl_experiment *exp = fl_experiment_parse((const char *)data, size, "fuzz.yaml", &err);
    if (exp) {
        fl_experiment_free(exp);
    } else if (err.code != FL_EINVAL || strncmp(err.message, "fuzz.yaml:", 10) != 0) {
        abort();
    }
    return 0;
}
