//! The command's memory allocator: mimalloc instead of the system's.
//!
//! A build is many small allocations on several render threads at once
//! (tera values, strings, output pieces). glibc's malloc made the threads
//! queue on arena locks or, with an arena each, kept much freed memory
//! resident; mimalloc's per-thread heaps avoid both and make a large build
//! markedly cheaper (BENCHMARKS.md has the figures).

use libmimalloc_sys::{mi_option_set, mi_option_t};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v2's `mimalloc.h` (`enum mi_option_e`;
/// the Rust bindings name no constant for it). A test pins it to the option's
/// documented default, so a version with another order fails the tests.
const PURGE_DELAY: mi_option_t = 15;

/// For one-shot commands (`build`, `check`): hand memory back to the system
/// as soon as it is freed, not after mimalloc's purge delay. A build frees
/// large values while it allocates others (the home page's template values,
/// then the departments' pages); returning the pages at once keeps its peak
/// resident memory near its live heap, at a small cost in time
/// (BENCHMARKS.md has the figures). `serve` and `watch` keep the delay: they
/// rebuild again and again and reuse what they freed.
pub fn return_freed_memory_at_once() {
    // SAFETY: mimalloc's options are plain integers; setting one is not
    // thread-safe, so this runs before the command starts any thread.
    unsafe { mi_option_set(PURGE_DELAY, 0) }
}

/// The purge delay in milliseconds.
#[cfg(test)]
fn purge_delay() -> std::ffi::c_long {
    // SAFETY: reads an integer option; no other thread sets options.
    unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_we_mean() {
        // mimalloc v2 documents "purge_delay (=10)"; its neighbours in the
        // enum default to 1 (eager_commit_delay) and 0 (use_numa_nodes).
        assert_eq!(purge_delay(), 10);
        return_freed_memory_at_once();
        assert_eq!(purge_delay(), 0);
    }
}
