/* Dice: a plugin in plain C. It declares one typed command, /roll COUNT SIDES, bound to an
   ordinary C function: the server parses and range-checks the arguments and calls
   dice_roll through libffi, so the function never sees bad input. */
#include "parley_plugin.h"
#include "dice.h"
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define STR(literal) ((parley_str){literal, sizeof(literal) - 1})

static uint64_t rng_state;

static uint64_t next_random(void) {
    /* xorshift64*: plenty for dice, and no global libc state shared with the server. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

int32_t dice_roll(int32_t count, int32_t sides) {
    int32_t total = 0;
    for (int32_t i = 0; i < count; i++) total += (int32_t)(next_random() % (uint64_t)sides) + 1;
    return total;
}

static const parley_typed_arg roll_args[] = {
    {sizeof(parley_typed_arg), STR("count"), PARLEY_TYPE_INT32, 1, 100},
    {sizeof(parley_typed_arg), STR("sides"), PARLEY_TYPE_INT32, 2, 1000},
};

static int dice_initialize(parley_plugin *self, const parley_host_api *host, const parley_config *config) {
    (void)config;
    if (getrandom(&rng_state, sizeof rng_state, 0) != sizeof rng_state || rng_state == 0) rng_state = 0x9E3779B97F4A7C15ULL;
    parley_typed_command roll = {
        .size = sizeof roll,
        .name = STR("roll"),
        .help = STR("roll COUNT dice with SIDES sides and show the total"),
        .return_type = PARLEY_TYPE_INT32,
        .arg_count = 2,
        .args = roll_args,
        .function = (void (*)(void))dice_roll,
    };
    if (host->register_typed_command(self, &roll) != PARLEY_OK) {
        host->set_error(self, STR("cannot register /roll"));
        return 1;
    }
    return 0;
}

static const parley_plugin_info dice_info = {
    .size = sizeof(parley_plugin_info),
    .abi_major = PARLEY_ABI_MAJOR,
    .abi_minor = PARLEY_ABI_MINOR,
    .name = "Dice",
    .version = "1.0.0",
    .description = "/roll COUNT SIDES, a typed command called through libffi",
    .initialize = dice_initialize,
};

const parley_plugin_info *parley_plugin_entry(uint32_t host_major, uint32_t host_minor) {
    /* Always answer with the descriptor: a host of another major refuses it, naming both. */
    (void)host_major;
    (void)host_minor;
    return &dice_info;
}
