# apparmor.cmake - where the AppArmor profile goes, for an install prefix.
# Included at configure time (CMakeLists.txt) and at install time (its
# install(CODE)), so `cmake --install --prefix P` decides by P.
# AppArmor reads /etc/apparmor.d only: a /usr or /usr/local prefix installs
# there; any other prefix (a staging dir, a test) below it, in
# SYSCONFDIR/apparmor.d.
function(mk_apparmor_dir prefix sysconfdir out)
  if(prefix STREQUAL "/usr" OR prefix STREQUAL "/usr/local")
    set(${out} "/etc/apparmor.d" PARENT_SCOPE)
  else()
    set(${out} "${prefix}/${sysconfdir}/apparmor.d" PARENT_SCOPE)
  endif()
endfunction()
