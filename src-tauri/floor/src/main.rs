//! The memory and start-up floor that benches/desktop/ compares Doorwatch with: a minimal Tauri 2 app
//! from the same dependency versions, with only a tray icon (`--tray`), or a tray icon and one empty
//! window (`--window`). It is a benchmark baseline, not part of the product: a package of its own, so the
//! bundler never ships it (`make bench-desktop` builds it).

use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{RunEvent, WebviewUrl, WebviewWindowBuilder};

fn main() {
    let window = std::env::args().any(|a| a == "--window");
    let app = tauri::Builder::default()
        .setup(move |app| {
            let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
            let menu = Menu::with_items(app, &[&quit])?;
            TrayIconBuilder::new()
                .icon(tauri::include_image!("../../icons/tray-normal.png"))
                .menu(&menu)
                .on_menu_event(|app, _| app.exit(0))
                .build(app)?;
            if window {
                WebviewWindowBuilder::new(app, "main", WebviewUrl::App("blank.html".into())).build()?;
            }
            eprintln!("tray ready");
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("the floor app starts");
    app.run(|_, event| {
        if let RunEvent::ExitRequested { code: None, api, .. } = event {
            api.prevent_exit();
        }
    });
}
