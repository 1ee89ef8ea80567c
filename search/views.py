from flask import Blueprint

# Registered now so later work only adds routes; it has none yet (no placeholder pages).
bp = Blueprint("search", __name__, url_prefix="/search")
