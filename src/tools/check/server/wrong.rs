//! What went wrong in one run of a server check.

use std::io;

use crate::lang::Msg;

/// What went wrong in a run: in words, and the reply's bytes when one
/// came wrong (received, expected).
pub(super) struct Wrong {
    pub(super) reason: Msg,
    pub(super) bytes: Option<(Vec<u8>, Vec<u8>)>,
}

impl Wrong {
    pub(super) fn said(reason: Msg) -> Wrong {
        Wrong {
            reason,
            bytes: None,
        }
    }
}

/// A connection that failed, as what went wrong.
pub(super) fn io_wrong(e: io::Error) -> Wrong {
    Wrong::said(Msg::new("srv-io").arg("error", crate::event::describe_io(&e)))
}
