# Reference values for pathaudit's survival tools, from R's survival and cmprsk packages.
#
# Usage (from any directory): Rscript survival_reference.R [OUTPUT_DIR]
# Reads spells.csv beside this script; writes km.csv, cox.csv, cuminc.csv and
# versions.csv to OUTPUT_DIR (default: this script's folder). Every number is written
# with 15 significant digits. See README.md for the calls and what each file holds.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- dirname(normalizePath(script))
trailing <- commandArgs(trailingOnly = TRUE)
out <- if (length(trailing) >= 1) trailing[1] else here

d <- read.csv(file.path(here, "spells.csv"))
d$exit <- as.integer(d$cause == 2)
d$promoted <- as.integer(d$cause == 1)
d$row <- seq_len(nrow(d))

write <- function(df, name) {
  write.csv(df, file.path(out, name), row.names = FALSE, quote = FALSE)
}

# --- Kaplan-Meier: exit (any type), by track; without and with delayed entry ------------
km_rows <- list()
for (ci in c("log-log", "log", "plain")) {
  for (with_entry in c(FALSE, TRUE)) {
    f <- if (with_entry) Surv(entry, time, exit) ~ ic else Surv(time, exit) ~ ic
    fit <- survfit(f, data = d, conf.type = ci, conf.int = 0.95)
    s <- summary(fit, censored = FALSE)
    km_rows[[length(km_rows) + 1]] <- data.frame(
      entry = with_entry, ci = ci, ic = as.integer(sub("ic=", "", as.character(s$strata))),
      time = s$time, n_risk = s$n.risk, n_event = s$n.event, surv = s$surv,
      std_err = s$std.err, lower = s$lower, upper = s$upper)
  }
}
write(do.call(rbind, km_rows), "km.csv")

# --- Cox: Efron and Breslow; robust cluster(); counting process with strata ---------------
ctl <- coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 100)
models <- list(
  plain = list(f = Surv(time, exit) ~ ic + female + tenure, cluster = NULL),
  cluster = list(f = Surv(time, exit) ~ ic + female + tenure, cluster = "person"),
  entry_strata = list(f = Surv(entry, time, exit) ~ ic + female + tenure + strata(grade),
                      cluster = "person"),
  promotion_unit = list(f = Surv(entry, time, promoted) ~ ic + female + strata(unit),
                        cluster = "unit")
)
cox_rows <- list()
for (name in names(models)) {
  for (ties in c("efron", "breslow")) {
    m <- models[[name]]
    fit <- if (is.null(m$cluster)) {
      coxph(m$f, data = d, ties = ties, control = ctl)
    } else {
      coxph(m$f, data = d, ties = ties, control = ctl, cluster = d[[m$cluster]])
    }
    naive <- if (is.null(fit$naive.var)) fit$var else fit$naive.var
    robust <- if (is.null(fit$naive.var)) NA_real_ else sqrt(diag(fit$var))
    cox_rows[[length(cox_rows) + 1]] <- data.frame(
      model = name, ties = ties, term = names(coef(fit)), coef = unname(coef(fit)),
      se = sqrt(diag(naive)), robust_se = robust,
      loglik_null = fit$loglik[1], loglik = fit$loglik[2],
      lr_stat = 2 * (fit$loglik[2] - fit$loglik[1]), lr_df = length(coef(fit)),
      concordance = unname(fit$concordance["concordance"]),
      n = fit$n, n_event = fit$nevent, iterations = fit$iter)
  }
}
write(do.call(rbind, cox_rows), "cox.csv")

# --- Cumulative incidence: cmprsk::cuminc (no entry) and survfit's Aalen-Johansen ---------
times <- sort(unique(d$time[d$cause > 0]))
ci <- cuminc(d$time, d$cause, group = d$ic, cencode = 0)
tp <- timepoints(ci, times)
cum_rows <- list()
for (key in rownames(tp$est)) {
  parts <- strsplit(key, " ")[[1]]
  ok <- !is.na(tp$est[key, ])
  cum_rows[[length(cum_rows) + 1]] <- data.frame(
    source = "cmprsk::cuminc", entry = FALSE, ic = as.integer(parts[1]),
    cause = as.integer(parts[2]), time = times[ok], cif = tp$est[key, ok],
    var = tp$var[key, ok])
}
for (with_entry in c(FALSE, TRUE)) {
  f <- if (with_entry) Surv(entry, time, factor(cause)) ~ ic else Surv(time, factor(cause)) ~ ic
  fit <- survfit(f, data = d, id = row)
  for (g in 0:1) {
    s <- fit[g + 1, ]
    keep <- s$time %in% times
    for (k in 1:3) {
      col <- which(s$states == as.character(k))
      cum_rows[[length(cum_rows) + 1]] <- data.frame(
        source = "survival::survfit", entry = with_entry, ic = g, cause = k,
        time = s$time[keep], cif = s$pstate[keep, col], var = s$std.err[keep, col]^2)
    }
  }
}
write(do.call(rbind, cum_rows), "cuminc.csv")

write(data.frame(
  what = c("R", "survival", "cmprsk"),
  version = c(paste(R.version$major, R.version$minor, sep = "."),
              as.character(packageVersion("survival")),
              as.character(packageVersion("cmprsk")))
), "versions.csv")
