//! The seccomp filter: which calls stop the traced program for the tracer.
//!
//! Every call it does not name runs at full speed; each one it names stops
//! the program at its entry (`SECCOMP_RET_TRACE`) until the tracer lets it
//! go on. What it names depends on what is watched: the calls that let go of
//! a descriptor always, and the socket calls themselves when they are
//! recorded.

/// A call the filter stops, by what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// `close(fd)`.
    Close,
    /// `close_range(first, last, flags)`.
    CloseRange,
    /// `dup2(old, new)`, `dup3(old, new, flags)`: `new` is closed first.
    Dup,
    /// `execve`, `execveat`: descriptors marked close-on-exec go.
    Exec,
    /// `ptrace`: the program traces.
    Ptrace,
    /// A socket call recorded (see [`super::calls`]), by its name.
    Recorded(&'static str),
}

/// `AUDIT_ARCH_*` (linux/audit.h): the architecture a call was made in.
#[cfg(target_arch = "x86_64")]
const NATIVE: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const NATIVE: u32 = 0xC000_00B7;
/// i386, on x86_64: a 32-bit program, or `int $0x80`.
#[cfg(target_arch = "x86_64")]
const I386: u32 = 0x4000_0003;

/// The calls the filter stops, by architecture: (`AUDIT_ARCH_*`, [(number,
/// call)]). Native numbers are libc's; `recording` adds the socket calls.
pub(super) fn calls(recording: bool) -> Vec<(u32, Vec<(u32, Stop)>)> {
    let n = |nr: libc::c_long| nr as u32;
    let mut native = vec![
        (n(libc::SYS_close), Stop::Close),
        (n(libc::SYS_close_range), Stop::CloseRange),
        (n(libc::SYS_dup3), Stop::Dup),
        (n(libc::SYS_execve), Stop::Exec),
        (n(libc::SYS_execveat), Stop::Exec),
        (n(libc::SYS_ptrace), Stop::Ptrace),
    ];
    #[cfg(target_arch = "x86_64")]
    native.push((n(libc::SYS_dup2), Stop::Dup));
    if recording {
        let recorded: [(libc::c_long, &'static str); 16] = [
            (libc::SYS_read, "read"),
            (libc::SYS_write, "write"),
            (libc::SYS_readv, "readv"),
            (libc::SYS_writev, "writev"),
            (libc::SYS_recvfrom, "recvfrom"),
            (libc::SYS_sendto, "sendto"),
            (libc::SYS_recvmsg, "recvmsg"),
            (libc::SYS_sendmsg, "sendmsg"),
            (libc::SYS_connect, "connect"),
            (libc::SYS_bind, "bind"),
            (libc::SYS_listen, "listen"),
            (libc::SYS_accept, "accept"),
            (libc::SYS_accept4, "accept4"),
            (libc::SYS_shutdown, "shutdown"),
            (libc::SYS_sendfile, "sendfile"),
            (libc::SYS_splice, "splice"),
        ];
        native.extend(recorded.map(|(nr, name)| (n(nr), Stop::Recorded(name))));
    }
    #[allow(unused_mut)]
    let mut all = vec![(NATIVE, native)];
    // libc names no i386 numbers in a 64-bit build: these are
    // arch/x86/entry/syscalls/syscall_32.tbl's. Only what lets go of a
    // socket is stopped there (a 32-bit program's socket calls go through
    // socketcall, not recorded).
    #[cfg(target_arch = "x86_64")]
    all.push((
        I386,
        vec![
            (6, Stop::Close),
            (436, Stop::CloseRange),
            (63, Stop::Dup),
            (330, Stop::Dup),
            (11, Stop::Exec),
            (358, Stop::Exec),
            (26, Stop::Ptrace),
        ],
    ));
    all
}

/// The call `nr` of architecture `arch` is, among those the filter stops.
pub(super) fn stop(table: &[(u32, Vec<(u32, Stop)>)], arch: u32, nr: u64) -> Option<Stop> {
    let (_, calls) = table.iter().find(|(a, _)| *a == arch)?;
    calls.iter().find(|(n, _)| *n as u64 == nr).map(|(_, s)| *s)
}

/// The seccomp program stopping the calls of `table` for the tracer
/// (`SECCOMP_RET_TRACE`), letting everything else run. One block per
/// architecture: its test, then each of its calls; a call it does not stop
/// falls through to the next block, whose architecture test fails, and so
/// on to "allow".
pub(super) fn program(table: &[(u32, Vec<(u32, Stop)>)]) -> Vec<libc::sock_filter> {
    let op = |code: u32, jt: u8, jf: u8, k: u32| libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    let load = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    let equal = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
    let ret = libc::BPF_RET | libc::BPF_K;
    let length: usize = table.iter().map(|(_, c)| 3 + c.len()).sum::<usize>() + 2;
    let trace = length - 1;
    let mut program = Vec::with_capacity(length);
    // struct seccomp_data: int nr at 0, __u32 arch at 4.
    for (arch, calls) in table {
        program.push(op(load, 0, 0, 4));
        program.push(op(equal, 0, 1 + calls.len() as u8, *arch));
        program.push(op(load, 0, 0, 0));
        for (nr, _) in calls {
            let jump = trace - (program.len() + 1);
            program.push(op(equal, jump as u8, 0, *nr));
        }
    }
    program.push(op(ret, 0, 0, libc::SECCOMP_RET_ALLOW));
    program.push(op(ret, 0, 0, libc::SECCOMP_RET_TRACE));
    program
}
