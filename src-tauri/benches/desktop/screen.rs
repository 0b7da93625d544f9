//! The test desktop's X screen, spoken to directly (x11rb): windows by title, pixels, the pointer, and
//! a window asked to close.

use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{AtomEnum, ClientMessageEvent, ConnectionExt as _, EventMask, ImageFormat, MapState};

/// How many pixels (4 bytes each, as Xvfb's 24-bit screen gives them) differ between two screen reads.
pub fn differing(a: &[u8], b: &[u8]) -> usize {
    if a.len() != b.len() {
        return a.len().max(b.len()) / 4;
    }
    a.chunks_exact(4).zip(b.chunks_exact(4)).filter(|(p, q)| p[..3] != q[..3]).count()
}

/// The test desktop's X screen, spoken to directly: no window manager runs there, so top-level windows
/// are the root window's children.
pub struct Screen {
    conn: x11rb::rust_connection::RustConnection,
    root: u32,
}

impl Screen {
    pub fn connect(display: &str) -> Screen {
        let (conn, n) = x11rb::connect(Some(display)).expect("the test desktop's X display");
        let root = conn.setup().roots[n].root;
        Screen { conn, root }
    }

    fn atom(&self, name: &str) -> u32 {
        self.conn.intern_atom(false, name.as_bytes()).unwrap().reply().unwrap().atom
    }

    /// The largest mapped top-level window with this title, and its place and size.
    pub fn window(&self, title: &str) -> Option<(u32, (i16, i16, u16, u16))> {
        let tree = self.conn.query_tree(self.root).ok()?.reply().ok()?;
        let mut best: Option<(u32, (i16, i16, u16, u16))> = None;
        for w in tree.children {
            let Some(attrs) = self.conn.get_window_attributes(w).ok().and_then(|c| c.reply().ok()) else { continue };
            if attrs.map_state != MapState::VIEWABLE {
                continue;
            }
            let name = self
                .conn
                .get_property(false, w, AtomEnum::WM_NAME, AtomEnum::ANY, 0, 64)
                .ok()
                .and_then(|c| c.reply().ok())
                .map(|p| p.value)
                .unwrap_or_default();
            if name != title.as_bytes() {
                continue;
            }
            let Some(g) = self.conn.get_geometry(w).ok().and_then(|c| c.reply().ok()) else { continue };
            let area = |r: &(i16, i16, u16, u16)| u32::from(r.2) * u32::from(r.3);
            let at = (g.x, g.y, g.width, g.height);
            if best.as_ref().is_none_or(|(_, b)| area(b) < area(&at)) {
                best = Some((w, at));
            }
        }
        best
    }

    /// The pixels of a rectangle of the screen.
    pub fn grab(&self, (x, y, w, h): (i16, i16, u16, u16)) -> Vec<u8> {
        self.conn.get_image(ImageFormat::Z_PIXMAP, self.root, x, y, w, h, !0).unwrap().reply().unwrap().data
    }

    pub fn warp(&self, x: i16, y: i16) {
        self.conn.warp_pointer(x11rb::NONE, self.root, 0, 0, 0, 0, x, y).unwrap();
        self.conn.flush().unwrap();
    }

    /// Asks a window to close, as a window manager's close button does (WM_DELETE_WINDOW).
    pub fn close(&self, window: u32) {
        let message = ClientMessageEvent::new(
            32,
            window,
            self.atom("WM_PROTOCOLS"),
            [self.atom("WM_DELETE_WINDOW"), x11rb::CURRENT_TIME, 0, 0, 0],
        );
        self.conn.send_event(false, window, EventMask::NO_EVENT, message).unwrap();
        self.conn.flush().unwrap();
    }
}
