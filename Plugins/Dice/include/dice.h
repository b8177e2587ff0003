#ifndef PARLEY_DICE_H
#define PARLEY_DICE_H
#include <stdint.h>
/* The function /roll calls through libffi: the sum of `count` dice with `sides` sides. */
int32_t dice_roll(int32_t count, int32_t sides);
#endif
