//! The scenario file format: TOML, checked with file and line in every error.

use std::collections::BTreeMap;
use std::path::Path;

use std::io::Read;

use serde::Deserialize;

use super::cost::{MAX_SCENARIO_MESSAGES, MAX_SENT};
use super::texts::quote_catalogue;
use super::{
    ClientSettings, Connects, Expect, MAX_SCENARIO_MESSAGE, Scenario, ScenarioError,
    ServerSettings, SideProgram, Step, Texts,
};
use crate::lang::Lang;
use crate::lesson::reader::on_the_wire;
use crate::shape::fragment::ChunkRange;
use crate::shape::{ShapeError, ShapeSpec};
use crate::text::escape::escape;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    lesson: String,
    description: String,
    #[serde(default)]
    point_at: String,
    /// The same texts in Korean (optional: English is shown without them).
    ko: Option<TextsFile>,
    server: Option<toml::Spanned<ServerSettings>>,
    client: Option<toml::Spanned<ClientSettings>>,
    step: Vec<toml::Spanned<StepFile>>,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextsFile {
    lesson: String,
    description: String,
    #[serde(default)]
    point_at: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    client: Option<usize>,
    send: Option<Vec<MessageFile>>,
    write: Option<Vec<MessageFile>>,
    read: Option<bool>,
    pause_ms: Option<u64>,
    connect: Option<ConnectFile>,
    quit: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ConnectFile {
    Ok,
    Waits,
    Refused,
}

/// A message: a string, or `{ pattern = "…", size = N }` for a long one (the
/// pattern repeated to `size - 1` bytes, then a newline).
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "each message is a string, or a table { pattern = \"…\", size = N }"
)]
enum MessageFile {
    Text(String),
    Filled { pattern: String, size: usize },
}

impl<'de> Deserialize<'de> for ChunkRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The most the `pause_ms` steps of a scenario may add up to (within the
/// time a run may take, see [`super::cost`]).
pub const MAX_PAUSE_MS: u64 = 5_000;
/// The most steps in a scenario.
pub const MAX_STEPS: usize = 100;
/// The most clients in a scenario (and the highest client number).
pub const MAX_SCENARIO_CLIENTS: usize = 10;
/// The longest listen backlog in a scenario: room for every client and more.
pub const MAX_SCENARIO_BACKLOG: u32 = 100;
/// The largest read buffer in a scenario: 1 MiB.
pub const MAX_READ_BUFFER: usize = 1 << 20;

/// The largest scenario file `load` reads: 1 MiB.
pub const MAX_FILE: u64 = 1 << 20;

fn line_at(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

/// The key whose value lies at `offset` in `src`, as the file spells it
/// (a table's key as `table.key`): from the file's own parse, its keys'
/// and values' places.
fn key_at(src: &str, offset: usize) -> Option<String> {
    fn find(table: &toml::de::DeTable, offset: usize, path: &str) -> Option<String> {
        table.iter().find_map(|(k, v)| {
            let name = match path {
                "" => k.get_ref().to_string(),
                _ => format!("{path}.{}", k.get_ref()),
            };
            // A table's own span may be its header alone: look inside it
            // whatever its span.
            let in_array = || {
                let array = v.get_ref().as_array()?;
                let tables = array.iter().filter_map(|e| e.get_ref().as_table());
                tables.into_iter().find_map(|t| find(t, offset, &name))
            };
            match v.get_ref().as_table() {
                Some(inner) => find(inner, offset, &name),
                None => in_array().or_else(|| v.span().contains(&offset).then_some(name)),
            }
        })
    }
    let doc = toml::de::DeTable::parse(src).ok()?;
    find(doc.get_ref(), offset, "")
}

/// The line where `key` of `[table]` is written.
fn key_line(src: &str, table: &str, key: &str) -> Option<usize> {
    let doc = toml::de::DeTable::parse(src).ok()?;
    let (_, t) = doc.get_ref().iter().find(|(k, _)| k.get_ref() == table)?;
    let (k, _) = t
        .get_ref()
        .as_table()?
        .iter()
        .find(|(k, _)| k.get_ref() == key)?;
    Some(line_at(src, k.span().start))
}

/// serde's names for our number types said as the numbers they take.
fn whole_numbers(message: &str) -> String {
    ["expected u64", "expected usize", "expected u32"]
        .iter()
        .fold(message.to_string(), |m, t| {
            m.replace(t, "expected a whole number, 0 or more")
        })
}

impl Scenario {
    /// Parse a scenario from TOML text. `origin` names it in errors (a path).
    pub fn parse(name: &str, origin: &str, src: &str) -> Result<Scenario, ScenarioError> {
        let err = |line: Option<usize>, message: String| ScenarioError {
            origin: origin.to_string(),
            line,
            message,
        };
        let file: File = toml::from_str(src).map_err(|e| {
            let line = e.span().map(|s| line_at(src, s.start));
            // A value of the wrong kind is named by its key, and the number
            // a key takes said in words, not as a type of ours.
            let key = e.span().and_then(|s| key_at(src, s.start));
            let message = e.message().trim();
            let message = match key {
                Some(key) => format!("{key}: {message}"),
                None => message.to_string(),
            };
            err(line, whole_numbers(&message))
        })?;
        let section_line = |span: std::ops::Range<usize>| Some(line_at(src, span.start));

        let server_line = file.server.as_ref().and_then(|s| section_line(s.span()));
        let client_line = file.client.as_ref().and_then(|c| section_line(c.span()));
        // What the messages add up to, counted before any is built: a small
        // file can ask for many large messages.
        let (mut count, mut sent) = (0usize, 0u64);
        for spanned in &file.step {
            let f = spanned.get_ref();
            for m in f.send.iter().chain(&f.write).flatten() {
                count += 1;
                sent += on_the_wire(match m {
                    MessageFile::Text(t) => t.len(),
                    // One over the limit of a message is said as such below.
                    MessageFile::Filled { size, .. } => (*size).min(MAX_SCENARIO_MESSAGE + 1),
                }) as u64;
                let over = if count > MAX_SCENARIO_MESSAGES {
                    Some(format!(
                        "the script has more than {MAX_SCENARIO_MESSAGES} messages, the limit"
                    ))
                } else if sent > MAX_SENT {
                    Some(format!(
                        "the messages up to here add up to {sent} bytes (with 4-byte length \
                         headers); the limit is {MAX_SENT}"
                    ))
                } else {
                    None
                };
                if let Some(m) = over {
                    return Err(err(section_line(spanned.span()), m));
                }
            }
        }
        let mut steps = Vec::new();
        for spanned in &file.step {
            let line = section_line(spanned.span());
            let step = step_from_file(spanned.get_ref()).map_err(|m| err(line, m))?;
            steps.push((step, line));
        }
        // A text quotes the screen's words from the catalogue, `{=id n=12}`,
        // in its own language: what a text says is on screen is.
        let said = |text: &str, lang| quote_catalogue(text.trim(), lang).map_err(|m| err(None, m));
        let ko = match file.ko {
            Some(t) => Some(Texts {
                lesson: said(&t.lesson, Lang::Ko)?,
                description: said(&t.description, Lang::Ko)?,
                point_at: said(&t.point_at, Lang::Ko)?,
            }),
            None => None,
        };
        let scenario = Scenario {
            name: name.to_string(),
            lesson: said(&file.lesson, Lang::En)?,
            description: said(&file.description, Lang::En)?,
            point_at: said(&file.point_at, Lang::En)?,
            ko,
            server: file.server.map(|s| s.into_inner()).unwrap_or_default(),
            client: file.client.map(|c| c.into_inner()).unwrap_or_default(),
            steps: steps.iter().map(|(s, _)| s.clone()).collect(),
            expect: file.expect,
            shape_override: ShapeSpec::default(),
            client_program: SideProgram::Ours,
            server_program: SideProgram::Ours,
        };
        scenario.check().map_err(|(place, message)| {
            let line = match place {
                Place::Top => None,
                Place::Server(Some(key)) => key_line(src, "server", key).or(server_line),
                Place::Client(Some(key)) => key_line(src, "client", key).or(client_line),
                Place::Server(None) => server_line,
                Place::Client(None) => client_line,
                Place::Step(i) => steps.get(i).and_then(|(_, l)| *l),
            };
            err(line, message)
        })?;
        Ok(scenario)
    }

    /// Load a scenario file; its name is the file name without `.toml`.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let origin = path.display().to_string();
        let fail = |message: String| ScenarioError {
            origin: origin.clone(),
            line: None,
            message,
        };
        // Only a regular file of a bounded size is read: a device such as
        // /dev/zero never ends, and a FIFO blocks until someone writes.
        let meta =
            std::fs::metadata(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
        if !meta.is_file() {
            return Err(fail("not a regular file".to_string()));
        }
        if meta.len() > MAX_FILE {
            return Err(fail(format!(
                "the file has {} bytes; a scenario file may have at most {MAX_FILE}",
                meta.len()
            )));
        }
        let mut src = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_FILE + 1).read_to_string(&mut src))
            .map_err(|e| fail(format!("cannot read the file: {e}")))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Scenario::parse(&name, &origin, &src)
    }

    /// Check a scenario (loaded or built in code) for values that cannot run.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.check().map_err(|(_, message)| ScenarioError {
            origin: format!("<{}>", self.name),
            line: None,
            message,
        })
    }

    /// The settings, then the script, then what a run would cost.
    fn check(&self) -> Result<(), (Place, String)> {
        self.check_settings()?;
        self.check_script()?;
        // What a run costs, worked out before it runs.
        if let Some(m) = self.over_a_limit() {
            return Err((Place::Top, m));
        }
        Ok(())
    }

    /// The `[server]` and `[client]` tables: the same rules and limits as
    /// the switches, and the scenario's own bounds.
    fn check_settings(&self) -> Result<(), (Place, String)> {
        let s = &self.server;
        let c = &self.client;
        let server = |m: &str| Err((Place::Server(None), format!("[server] {m}")));
        let client = |m: &str| Err((Place::Client(None), format!("[client] {m}")));
        // An error of one key, at that key's line.
        let key_of = |e: &ShapeError| match e {
            ShapeError::OutOfRange { key, .. } => Some(*key),
            _ => None,
        };
        if s.buffer_size == 0 {
            return server("buffer_size must be at least 1");
        }
        // The shaping keys obey the same rules and limits as the switches.
        if let Err(e) = s.spec().shape(0) {
            return Err((Place::Server(key_of(&e)), format!("[server] {e}")));
        }
        let random = s.spec().needs_seed();
        if random && s.seed.is_none() {
            return server("random chunks or pauses need a seed, so that every run is the same");
        }
        if !random && s.seed.is_some() {
            return server("seed is only used with random_chunks or random_pauses");
        }
        if c.buffer_size == 0 {
            return client("buffer_size must be at least 1");
        }
        if let Err(e) = c.spec().shape(0) {
            // Said with the client's own names for its keys.
            let e = match e {
                ShapeError::OutOfRange {
                    key,
                    value,
                    min,
                    max,
                } => ShapeError::OutOfRange {
                    key: ClientSettings::key(key),
                    value,
                    min,
                    max,
                },
                e => e,
            };
            return Err((Place::Client(key_of(&e)), format!("[client] {e}")));
        }
        // Bounds that keep every run short (see `super::cost`).
        if s.buffer_size > MAX_READ_BUFFER {
            return server(&format!("buffer_size is at most {MAX_READ_BUFFER}"));
        }
        if c.buffer_size > MAX_READ_BUFFER {
            return client(&format!("buffer_size is at most {MAX_READ_BUFFER}"));
        }
        if s.clients > MAX_SCENARIO_CLIENTS {
            return server(&format!("clients is at most {MAX_SCENARIO_CLIENTS}"));
        }
        if s.backlog > MAX_SCENARIO_BACKLOG {
            return server(&format!("backlog is at most {MAX_SCENARIO_BACKLOG}"));
        }
        Ok(())
    }

    /// The `[[step]]`s, walked as the runner will walk them, to catch steps
    /// that cannot happen or would not fit.
    fn check_script(&self) -> Result<(), (Place, String)> {
        let (s, c) = (&self.server, &self.client);
        if self.steps.is_empty() {
            return Err((Place::Top, "a scenario needs at least one [[step]]".into()));
        }
        if self.steps.len() > MAX_STEPS {
            return Err((
                Place::Top,
                format!("a scenario has at most {MAX_STEPS} steps"),
            ));
        }
        // Every write must fit the socket buffers while its reader waits for
        // its turn: the writer's send buffer and the reader's receive buffer
        // together, each way. A buffer not asked for is the kernel's default,
        // room enough for any message; so only a pair asked for bounds them.
        let smallest = [
            (c.send_buffer, s.recv_buffer),
            (s.send_buffer, c.recv_buffer),
        ]
        .into_iter()
        .filter_map(|(send, recv)| Some(send? as usize + recv? as usize))
        .min();
        // The kernel gives data at least 1.5 times the buffer size asked for.
        let fits = |bytes: usize| smallest.is_none_or(|b| bytes * 2 <= b * 3);
        let b = smallest.unwrap_or(0) as u64;
        let mut paused = 0;
        // Walk the script as the runner will, to catch steps that cannot happen.
        let mut owed: BTreeMap<usize, usize> = BTreeMap::new();
        let mut owed_bytes: BTreeMap<usize, usize> = BTreeMap::new();
        let mut gone: Vec<usize> = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let at = |m: String| Err((Place::Step(i), m));
            let k = step.client();
            if k == 0 {
                return at("client numbers start at 1".into());
            }
            if k > MAX_SCENARIO_CLIENTS {
                return at(format!("client numbers go up to {MAX_SCENARIO_CLIENTS}"));
            }
            if gone.contains(&k) {
                return at(format!("client {k} has already quit (or was refused)"));
            }
            match step {
                Step::Send { messages, .. } | Step::Write { messages, .. } => {
                    if messages.is_empty() {
                        return at("a step must send at least one message".into());
                    }
                    for m in messages {
                        check_message(m).or_else(&at)?;
                        // On the wire a message may carry the length
                        // reader's header.
                        if !fits(on_the_wire(m.len())) {
                            return at(format!(
                                "a message of {} does not fit the socket buffers of {} asked \
                                 for (the writer's send and the reader's receive buffer): a \
                                 write would wait for a reader who waits for its turn",
                                crate::text::bytes(m.len() as u64),
                                crate::text::bytes(b)
                            ));
                        }
                    }
                    // Bytes written and not read back yet sit in the buffers
                    // between client and server: they must fit as a message
                    // must.
                    let wire: usize = messages.iter().map(|m| on_the_wire(m.len())).sum();
                    let in_flight = owed_bytes.get(&k).copied().unwrap_or(0) + wire;
                    if !fits(in_flight) {
                        return at(format!(
                            "{} written and not yet read back do not fit the socket buffers of \
                             {} asked for (the writer's send and the reader's receive buffer): a \
                             write would wait for a reader who waits for its turn",
                            crate::text::bytes(in_flight as u64),
                            crate::text::bytes(b)
                        ));
                    }
                    if matches!(step, Step::Write { .. }) {
                        *owed.entry(k).or_default() += messages.len();
                        *owed_bytes.entry(k).or_default() += wire;
                    }
                }
                Step::Read { .. } => {
                    owed_bytes.remove(&k);
                    if owed.remove(&k).unwrap_or(0) == 0 {
                        return at(format!("client {k} is owed no reply to read"));
                    }
                }
                Step::Pause { ms, .. } => {
                    paused += ms;
                    if paused > MAX_PAUSE_MS {
                        return at(format!("the pauses add up to more than {MAX_PAUSE_MS} ms"));
                    }
                }
                Step::Connect { expect, .. } => {
                    if *expect == Connects::Refused {
                        gone.push(k);
                    }
                }
                Step::Quit { .. } => gone.push(k),
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
enum Place {
    Top,
    /// The `[server]` table, or one of its keys.
    Server(Option<&'static str>),
    /// The `[client]` table, or one of its keys.
    Client(Option<&'static str>),
    Step(usize),
}

fn check_message(m: &[u8]) -> Result<(), String> {
    if m.last() != Some(&b'\n') || m[..m.len() - 1].contains(&b'\n') {
        return Err(format!(
            "message '{}' must end with a newline and hold no other, so that every \
             reader (line included) sends the same bytes",
            escape(m)
        ));
    }
    if m.len() > MAX_SCENARIO_MESSAGE {
        return Err(format!(
            "a message of {} bytes is over the limit of {MAX_SCENARIO_MESSAGE}",
            m.len()
        ));
    }
    Ok(())
}

fn step_from_file(f: &StepFile) -> Result<Step, String> {
    let client = f.client.unwrap_or(1);
    let messages = |list: &[MessageFile]| -> Result<Vec<Vec<u8>>, String> {
        list.iter()
            .map(|m| match m {
                MessageFile::Text(t) => Ok(t.as_bytes().to_vec()),
                MessageFile::Filled { pattern, size } => {
                    if pattern.is_empty() || *size < 2 {
                        return Err(
                            "a filled message needs a pattern and a size of 2 or more".into()
                        );
                    }
                    // Checked before the message is built, not after.
                    if *size > MAX_SCENARIO_MESSAGE {
                        return Err(format!(
                            "a message of {size} bytes is over the limit of {MAX_SCENARIO_MESSAGE}"
                        ));
                    }
                    let mut bytes: Vec<u8> = pattern.bytes().cycle().take(size - 1).collect();
                    bytes.push(b'\n');
                    Ok(bytes)
                }
            })
            .collect()
    };
    let mut actions = Vec::new();
    if let Some(list) = &f.send {
        actions.push(Step::Send {
            client,
            messages: messages(list)?,
        });
    }
    if let Some(list) = &f.write {
        actions.push(Step::Write {
            client,
            messages: messages(list)?,
        });
    }
    if f.read == Some(true) {
        actions.push(Step::Read { client });
    }
    if let Some(ms) = f.pause_ms {
        actions.push(Step::Pause { client, ms });
    }
    if let Some(c) = &f.connect {
        actions.push(Step::Connect {
            client,
            expect: match c {
                ConnectFile::Ok => Connects::AtOnce,
                ConnectFile::Waits => Connects::Waits,
                ConnectFile::Refused => Connects::Refused,
            },
        });
    }
    if f.quit == Some(true) {
        actions.push(Step::Quit { client });
    }
    match actions.len() {
        1 => Ok(actions.pop().expect("one action")),
        0 => Err("a step needs one action: send, write, read, pause_ms, connect or quit".into()),
        _ => {
            Err("a step takes only one action: send, write, read, pause_ms, connect or quit".into())
        }
    }
}
