//! `carbon sim`: the simulator of the API on this machine, and a profile that points
//! at it. Left out of builds without the `sim` feature.

use crate::cli::SimArgs;
use crate::config::{ConfigFile, Profile, config_dir, write_atomically};
use crate::failure::{Failure, Outcome};
use crate::output::write_stdout;

/// `carbon sim`: serves until Ctrl-C.
pub async fn run(args: SimArgs) -> Outcome {
    let key = carbon_sim::TestKey::generate("sim-client").map_err(|e| Failure::usage(e.to_string()))?;
    let secrets_json = key.secrets_json();
    let config = carbon_sim::Config {
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], args.port)),
        key: Some(key),
        faults: carbon_sim::Faults::all(args.faults),
        speed: args.speed,
        printers: args.printers,
        printed_parts: args.printed_parts,
        seed: args.seed,
        ..carbon_sim::Config::default()
    };
    // The simulator's own check, said as the flags say it.
    config.validate().map_err(|e| Failure::usage(e.as_flags()))?;
    // The port first: a port that is taken (by an earlier `carbon sim`, say) must
    // leave that simulator's profile and key as they are.
    let sim = carbon_sim::Simulator::start(config).await.map_err(|e| {
        Failure::usage(format!(
            "cannot serve on 127.0.0.1:{}: {e}; choose another --port (0 takes a free one). \
             Profile `{}` was left as it was",
            args.port, args.profile_name
        ))
    })?;
    let dir = config_dir()?;
    let secrets = dir.join(format!("{}-secrets.json", args.profile_name));
    write_atomically(&secrets, secrets_json.as_bytes(), true)?;
    let mut config = ConfigFile::load()?;
    config.profiles.insert(
        args.profile_name.clone(),
        Profile {
            base_url: Some(sim.base_url().to_string()),
            secrets: Some(secrets.clone()),
            ..Profile::default()
        },
    );
    config.save()?;
    write_stdout(format!("listening on {}\n", sim.base_url()).as_bytes())?;
    eprintln!(
        "profile `{name}` points at it; from another shell:\n  carbon --profile {name} printers list\n  \
         carbon --profile {name} order part.stl --part-number PN-1 --order-number PO-1 --flush --wait packed\n\
         Ctrl-C stops the simulator.",
        name = args.profile_name
    );
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
