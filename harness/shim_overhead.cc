// shim_overhead.cc - the plain C++ Google Benchmark half of hl-shim-overhead.
//
// The same two loop bodies as shim_overhead.c, written the way the Google
// Benchmark user guide writes a benchmark (a range-for over the State), so
// that the only difference between "X/cxx" and "X/c" is the C shim.
#include <benchmark/benchmark.h>

#include <cstdint>

namespace {

volatile uint64_t g_sink_cxx;

// "empty": nothing but a compiler barrier, which keeps the loop from being
// deleted or collapsed (the C side uses the same barrier).
void bm_empty_cxx(benchmark::State &state)
{
    for (auto _ : state)
        __asm__ volatile("" : : : "memory");
}

void bm_volatile_cxx(benchmark::State &state)
{
    for (auto _ : state)
        g_sink_cxx = g_sink_cxx + 1;
}

} // namespace

extern "C" void hl_overhead_register_cxx(void)
{
    benchmark::RegisterBenchmark("empty/cxx", bm_empty_cxx);
    benchmark::RegisterBenchmark("volatile/cxx", bm_volatile_cxx);
}
