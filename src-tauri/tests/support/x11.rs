//! The test desktop's X screen, as the end-to-end tests look at it: windows by name (xwininfo) and the
//! colours on screen (ImageMagick).

use std::process::Command;

use super::Desktop;

/// The desktop's X display (`:N`).
pub fn display(desktop: &Desktop) -> &str {
    &desktop.env.iter().find(|(k, _)| k == "DISPLAY").unwrap().1
}

/// How many X windows have this name (GTK makes more than one per toplevel).
pub fn x_windows_named(desktop: &Desktop, name: &str) -> usize {
    Command::new("xwininfo")
        .args(["-root", "-tree", "-display", display(desktop)])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).matches(&format!("\"{name}\"")).count())
        .unwrap_or(0)
}

pub fn x_window_named(desktop: &Desktop, name: &str) -> bool {
    x_windows_named(desktop, name) > 0
}

/// The timeline window's place and size on screen: x, y, width, height.
pub fn x_window_geometry(desktop: &Desktop) -> Option<(i64, i64, i64, i64)> {
    let out = Command::new("xwininfo").args(["-name", "Doorwatch", "-display", display(desktop)]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |label: &str| {
        text.lines().find_map(|l| l.trim().strip_prefix(label)).and_then(|v| v.trim().parse::<i64>().ok())
    };
    Some((field("Absolute upper-left X:")?, field("Absolute upper-left Y:")?, field("Width:")?, field("Height:")?))
}

/// Pixel counts by colour (upper-case hex) of the whole screen, read with ImageMagick.
pub fn screen_colours(desktop: &Desktop) -> std::collections::HashMap<String, u64> {
    let shot = desktop.home().join("screen.png");
    let took = Command::new("import")
        .args(["-display", display(desktop), "-window", "root", shot.to_str().unwrap()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !took {
        return Default::default();
    }
    let out = Command::new("convert").args([shot.to_str().unwrap(), "-format", "%c", "histogram:info:-"]).output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    // Lines like "  68298: (253,236,234) #FDECEA srgb(253,236,234)".
    text.lines()
        .filter_map(|l| {
            let (count, rest) = l.trim().split_once(':')?;
            let hex = rest.split_whitespace().find(|w| w.starts_with('#'))?;
            Some((hex.trim_start_matches('#').to_uppercase(), count.trim().parse().ok()?))
        })
        .collect()
}
