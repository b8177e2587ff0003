/* A shared library that is not a Parley plugin: no parley_plugin_entry. */
int not_a_plugin(void) { return 42; }
