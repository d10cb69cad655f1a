//! Arguments whose values a shell can complete, while any value is taken as
//! it is: a scenario (a built-in name or a file's path) and a man page. The
//! command itself says which names exist when one is not found.

use std::ffi::OsStr;

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};

/// A value parser that takes any text, and offers the values its function
/// lists to shell completion (`value_parser = Offered(names)`).
#[derive(Debug, Clone, Copy)]
pub struct Offered(pub fn() -> Vec<PossibleValue>);

impl TypedValueParser for Offered {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new((self.0)().into_iter()))
    }
}
