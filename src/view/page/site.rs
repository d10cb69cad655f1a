//! A lesson site: the index and one page per scenario, written to a folder.

use std::io;
use std::path::{Path, PathBuf};

use maud::html;

use super::{Nav, document, file_name, file_text, scenario_page};
use crate::lang::Lang;
use crate::scenario::{Report, Scenario};
use crate::tr;
use crate::view::file::replace_file;

/// The index of a lesson site: every scenario in teaching order.
pub fn index_page(results: &[(Scenario, Vec<Report>)], made_by: &str, lang: Lang) -> String {
    let body = html! {
        header {
            h1 { (tr!(lang, "index-title")) }
            p.lesson { (tr!(lang, "index-lesson")) }
        }
        main {
            ol.index {
                @for (s, reports) in results {
                    li {
                        a href=(file_name(&s.name)) { (file_text(&s.name)) }
                        " · " (file_text(s.lesson_in(lang)))
                        @if reports.iter().any(|r| !r.as_expected) {
                            " " span.bad { (tr!(lang, "index-surprise")) }
                        }
                    }
                }
            }
        }
        footer {
            p { (tr!(lang, "page-made-by")) " " code { (file_text(made_by)) } "." }
        }
    };
    document(&tr!(lang, "index-page-title"), body, None, lang)
}

/// Write a lesson site to `dir`: `index.html` and one page per scenario,
/// linked in order, each saying it was made by `made_by` (the command line). Only these files are written; `dir` is created if need
/// be. A symbolic link found in a page's place is replaced by the page,
/// never written through. Returns the files written.
pub fn write_site(
    dir: &Path,
    results: &[(Scenario, Vec<Report>)],
    made_by: &str,
    lang: Lang,
) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let index = dir.join("index.html");
    replace_file(&index, &index_page(results, made_by, lang))?;
    written.push(index);
    for (i, (s, reports)) in results.iter().enumerate() {
        let links = Nav {
            index: Some("index.html".into()),
            prev: i.checked_sub(1).map(|p| results[p].0.name.clone()),
            next: results.get(i + 1).map(|n| n.0.name.clone()),
            made_by: Some(made_by.to_string()),
        };
        let path = dir.join(file_name(&s.name));
        replace_file(&path, &scenario_page(s, reports, &links, lang))?;
        written.push(path);
    }
    Ok(written)
}
