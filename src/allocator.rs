//! The memory allocator of every kefu binary, its tests and benches: mimalloc. A message's
//! analysis, matching and HTTP and JSON handling allocate many small, short-lived blocks,
//! which it serves faster than the C library's allocator (a tenth of a match's time with
//! 10 000 entries).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (the Rust bindings do not name it; the same in its
/// versions 2 and 3).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed pages stay mapped, in milliseconds. A message's work frees pages and
/// takes them again within microseconds: returning them at once (0) made every match
/// fault fresh zeroed pages in (3–4 % slower), while mimalloc's default second kept a
/// knowledge build's garbage resident for as long as the server then idled.
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// Sets the allocator's options; called first thing by the `kefu` binary.
pub fn configure() {
    // SAFETY: sets one of mimalloc's options, a plain integer it reads when it purges.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) }
}

/// Hands the memory this thread allocated and freed back to the system now. Building a
/// large knowledge base's index frees most of what it allocated, on a thread that then
/// idles, and mimalloc purges freed pages only as a thread goes on allocating: without
/// this, a 10 000-entry build's temporaries stay resident.
pub fn release_freed_memory() {
    // SAFETY: collects this thread's heap and the free pages of every arena.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_set_is_the_purge_delay() {
        // SAFETY: reads an option.
        let delay = || unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        // mimalloc 3's purge delay defaults to a second (the options before it, to less).
        assert_eq!(delay(), 1000);
        configure();
        assert_eq!(delay(), PURGE_DELAY_MS);
    }
}
